"""HAR 1.2 recordings (browser dev tools, mitmproxy, respcheck's own reports)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from respcheck.exchange import Exchange, Request
from respcheck.replay.body import decode_body
from respcheck.sse import parse_sse


def load(source: str, text: str, error: Callable[..., Any]) -> Iterator[Any]:
    try:
        entries = json.loads(text)["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("log.entries is not a list")
    # RecursionError: JSON nested past Python's limit; that file is unreadable, the others are judged
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        yield error(source, f"not a HAR 1.2 file ({type(exc).__name__}: {exc})")
        return
    for number, entry in enumerate(entries):
        where = f"{source}: entry {number}"
        try:
            exchange = entry_to_exchange(entry, f"{source}#{number}")
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            yield error(where, f"not a readable HAR entry ({type(exc).__name__}: {exc})")
            continue
        if not is_responses_path(exchange.request.path):
            yield error(where, f"not a Responses API request ({exchange.request.method} "
                               f"{exchange.request.path}); remove it or filter the HAR to /v1/responses",
                        outside=True)
            continue
        yield exchange


def is_responses_path(path: str) -> bool:
    """A request to the Responses API (any method: a wrong method is a conformance question)."""
    return "/responses" in path or path.rstrip("/").endswith("/chat/completions")


def _headers(items: list[dict[str, Any]]) -> dict[str, str]:
    return {str(h["name"]).lower(): str(h["value"]) for h in items or []}


def entry_to_exchange(entry: dict[str, Any], exchange_id: str) -> Exchange:
    req = entry["request"]
    url = urlsplit(req["url"])
    post = req.get("postData") or {}
    body = _json_or_none(post.get("text"))
    request = Request(
        method=req["method"].upper(),
        path=url.path,
        query=dict(parse_qsl(url.query)),
        headers=_headers(req.get("headers", [])),
        body=body,
    )
    resp = entry["response"]
    headers = _headers(resp.get("headers", []))
    content = resp.get("content") or {}
    mime = content.get("mimeType") or headers.get("content-type", "")
    if mime:
        headers.setdefault("content-type", mime)
    missing = _not_recorded(resp, content)
    raw = content.get("text") or ""
    # HAR keeps the body decoded (content.text); it is capped like a live body all the same
    recorded = base64.b64decode(raw) if content.get("encoding") == "base64" else raw.encode("utf-8")
    data, cut = decode_body(recorded)
    exchange = Exchange(
        id=entry.get("comment") or exchange_id,
        request=request,
        status=int(resp["status"]),
        headers=headers,
        # An entry with no header and no mimeType kept none: the content type is unknown.
        headers_recorded=bool(headers),
        elapsed=(entry.get("time") or 0) / 1000 or None,
    )
    exchange.origin = f"{url.scheme}://{url.netloc.rsplit('@', 1)[-1]}" if url.scheme and url.netloc else None
    if missing is not None:
        exchange.not_recorded = missing
        return exchange
    fill_body(exchange, data)
    exchange.broken = cut
    times = (entry.get("_respcheck") or {}).get("event_times")  # respcheck's own HAR keeps arrival times
    if exchange.events is not None and isinstance(times, list) and len(times) == len(exchange.events):
        for event, arrived_at in zip(exchange.events, times, strict=True):
            if isinstance(arrived_at, int | float):
                event.arrived_at = float(arrived_at)
    return exchange


def _not_recorded(resp: dict[str, Any], content: dict[str, Any]) -> str | None:
    """Why the recorder kept no body, or None when it kept one (an empty body is recorded as empty).

    Chromium (and Playwright) leave ``content.text`` out, with ``size`` -1 or the body's size, when the
    page aborted the fetch or the body was not kept; ``_failureText`` names the network error."""
    if "text" in content or content.get("size") == 0:
        return None
    failure = resp.get("_failureText") or content.get("comment")
    return f"the recorder kept no response body ({failure})" if failure else \
        "the recorder kept no response body"


def fill_body(exchange: Exchange, data: bytes) -> None:
    """Set the body (JSON or text) or the parsed SSE events from the raw response bytes."""
    if "text/event-stream" in exchange.content_type or data.lstrip().startswith((b"event:", b"data:")):
        exchange.events, exchange.framing = parse_sse(data)
        return
    text = data.decode("utf-8", errors="replace")
    parsed = _json_or_none(text)
    if parsed is None and text.strip() != "null":
        exchange.body_text = text
    else:
        exchange.body = parsed


def _json_or_none(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
