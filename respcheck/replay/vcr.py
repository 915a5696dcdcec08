"""VCR.py YAML cassettes (what Python projects record their OpenAI traffic with)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from respcheck.config.loader import YAMLProblem, load_yaml
from respcheck.exchange import Exchange, Request
from respcheck.replay.body import decode_body
from respcheck.replay.har import fill_body, is_responses_path


def load(source: str, text: str, error: Callable[..., Any]) -> Iterator[Any]:
    try:
        # bounded: PyYAML writes aliases for shared objects, and a "billion laughs" cassette is all aliases
        document, _ = load_yaml(text)
    except YAMLProblem as exc:
        where = f"line {exc.line}: " if exc.line else ""
        yield error(source, f"not a VCR.py cassette ({where}{exc.message})")
        return
    try:
        interactions = document["interactions"]
        if not isinstance(interactions, list):
            raise TypeError("interactions is not a list")
    except (KeyError, TypeError) as exc:
        yield error(source, f"not a VCR.py cassette ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        return
    for number, interaction in enumerate(interactions):
        where = f"{source}: interaction {number}"
        try:
            exchange = interaction_to_exchange(interaction, f"{source}#{number}")
        # A truncated gzip body raises EOFError, a corrupt one zlib.error; JSON nested past Python's
        # recursion limit a RecursionError (that interaction is unreadable, the others are judged).
        except (KeyError, TypeError, ValueError, AttributeError, EOFError, zlib.error, RecursionError) as exc:
            yield error(where, f"not a readable interaction ({type(exc).__name__}: {exc})")
            continue
        if not is_responses_path(exchange.request.path):
            yield error(
                where, f"not a Responses API request ({exchange.request.method} {exchange.request.path})",
                outside=True)
            continue
        yield exchange


def _headers(raw: dict[str, Any] | None) -> dict[str, str]:
    out = {}
    for name, value in (raw or {}).items():
        out[str(name).lower()] = str(value[0] if isinstance(value, list) and value else value)
    return out


def _bytes(body: Any) -> bytes:
    if isinstance(body, dict):
        body = body.get("string", "")
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def interaction_to_exchange(interaction: dict[str, Any], exchange_id: str) -> Exchange:
    req = interaction["request"]
    url = urlsplit(req["uri"])
    req_bytes = _bytes(req.get("body"))
    try:
        req_body = json.loads(req_bytes) if req_bytes else None
    except ValueError:
        req_body = None
    request = Request(
        method=str(req["method"]).upper(),
        path=url.path,
        query=dict(parse_qsl(url.query)),
        headers=_headers(req.get("headers")),
        body=req_body,
    )
    resp = interaction["response"]
    headers = _headers(resp.get("headers"))
    data, cut = decode_body(_bytes(resp.get("body")), headers.get("content-encoding", ""))
    status = resp["status"]
    exchange = Exchange(
        id=exchange_id,
        request=request,
        status=int(status["code"] if isinstance(status, dict) else status),
        headers=headers,
        # A cassette filtered of its response headers says nothing about what was sent.
        headers_recorded=bool(headers),
    )
    fill_body(exchange, data)
    exchange.broken = cut
    return exchange
