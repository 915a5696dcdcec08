"""``exchanges.har``: every exchange of a run as HAR 1.2, readable back by ``respcheck replay``.

Browser dev tools, mitmproxy and HAR viewers open it as is; respcheck's own HAR loader
(``respcheck.replay.har``) judges it again, so a failure in a report can be replayed offline.
Streams are written back as ``event:``/``data:`` text, exactly what the loader parses. What HAR
has no field for (the test, event arrival times, why a connection broke) goes under the
``_respcheck`` key of each entry (HAR allows custom fields prefixed with an underscore).
"""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO

from respcheck import __version__
from respcheck.exchange import endpoint_of
from respcheck.redact import redact_headers, redact_query, redact_record, redact_text
from respcheck.reports.records import iter_records
from respcheck.session.session import FinishHandler
from respcheck.session.target import origin_of

HAR_FILE = "exchanges.har"


def sse_text(events: list[dict[str, Any]]) -> str:
    """Recorded events as an SSE byte stream again (JSON data compact, as respcheck parses it)."""
    blocks = []
    for event in events:
        data = event.get("data")
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        lines = [f"event: {event['event']}"] if event.get("event") is not None else []
        lines += [f"data: {line}" for line in text.split("\n")]
        blocks.append("\n".join(lines) + "\n\n")
    return "".join(blocks)


def replayable(record: dict[str, Any]) -> bool:
    """Whether respcheck's HAR loader accepts the record: it refuses non-Responses API paths
    (the wrong-method probes, e.g. ``PUT /v1/responses``); exchanges.jsonl keeps those."""
    request = record.get("request") or {}
    return endpoint_of(str(request.get("method", "")), str(request.get("path", ""))) != "unknown"


def _pairs(mapping: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": str(k), "value": str(v)} for k, v in (mapping or {}).items()]


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _status(value: Any) -> int:
    """The HTTP status as HAR wants it: 0 when there was no response (HAR's "failed request")."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request(record: dict[str, Any], origin: str) -> dict[str, Any]:
    req = record["request"]
    # Masked by name too (an ``api_key=`` parameter, an Authorization header), whatever the value.
    query = redact_query({str(k): str(v) for k, v in (req.get("query") or {}).items()})
    url = origin + str(req.get("path", ""))
    if query:
        url += "?" + urllib.parse.urlencode(query, safe="[]")
    headers = redact_headers({str(k): str(v) for k, v in (req.get("headers") or {}).items()})
    out: dict[str, Any] = {
        "method": str(req.get("method", "GET")).upper(),
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(headers),
        "queryString": _pairs(query),
        "headersSize": -1,
        "bodySize": 0,
    }
    body = req.get("body")
    if body is not None:
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        out["postData"] = {"mimeType": "application/json", "text": text}
        out["bodySize"] = len(text.encode("utf-8"))
        if not any(k.lower() == "content-type" for k in headers):
            out["headers"].append({"name": "content-type", "value": "application/json"})
    return out


def _response(record: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
    """The HAR response and when its first byte (first event) arrived, in seconds, if known."""
    resp = record.get("response") or {}
    mime = str(resp.get("content_type") or "")
    first: float | None = None
    if resp.get("events") is not None:
        events = resp["events"]
        text = sse_text(events)
        mime = mime or "text/event-stream"
        times = [e["t"] for e in events if isinstance(e.get("t"), int | float)]
        first = min(times) if times else None
    elif isinstance(resp.get("body"), str):
        text = resp["body"]
    elif resp.get("body") is not None:
        text = json.dumps(resp["body"], ensure_ascii=False)
        mime = mime or "application/json"
    else:
        text = ""
    headers = redact_headers({str(k): str(v) for k, v in (resp.get("headers") or {}).items()})
    if mime and not any(k.lower() == "content-type" for k in headers):
        headers["content-type"] = mime
    status = _status(resp.get("status"))
    size = len(text.encode("utf-8"))
    return {
        "status": status,
        "statusText": _status_text(status),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(headers),
        "content": {"size": size, "mimeType": mime, "text": text},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": size,
    }, first


def _timings(elapsed: float | None, first_byte: float | None) -> tuple[float, dict[str, float]]:
    """Total time and HAR timings in ms: ``wait`` until the first event (or the whole body),
    ``receive`` the rest of the stream."""
    total = max(0.0, (elapsed or 0.0) * 1000)
    wait = total if first_byte is None else min(total, first_byte * 1000)
    timings = {"blocked": -1, "dns": -1, "connect": -1, "send": 0,
               "wait": round(wait, 3), "receive": round(total - wait, 3), "ssl": -1}
    return round(total, 3), timings


def har_entry(record: dict[str, Any], origin: str, started_at: float) -> dict[str, Any]:
    response, first_byte = _response(record)
    elapsed = (record.get("response") or {}).get("elapsed")
    total, timings = _timings(elapsed if isinstance(elapsed, int | float) else None, first_byte)
    events = (record.get("response") or {}).get("events")
    extra = {
        "test": record.get("test"),
        "target": record.get("target"),
        "provider": record.get("provider"),
        "endpoint": record.get("endpoint"),
        "broken": (record.get("response") or {}).get("broken"),
        "notes": record.get("notes") or [],
        "event_times": [e.get("t") for e in events] if events is not None else None,
    }
    return {
        # The recordings keep durations, not wall-clock send times: entries carry the run's start.
        "startedDateTime": _iso(float(record.get("started_at") or started_at)),
        "time": total,
        "request": _request(record, origin),
        "response": response,
        "cache": {},
        "timings": timings,
        "comment": str(record.get("id") or ""),  # the loader takes the exchange id from here
        "_respcheck": {k: v for k, v in extra.items() if v not in (None, [])},
    }


def _comment(summary: dict[str, Any], left_out: int) -> str:
    comment = f"respcheck run against {summary.get('target', {}).get('name', '?')}"
    if left_out:
        comment += (f"; {left_out} exchange(s) outside the Responses API (wrong-method probes) "
                    "are only in exchanges.jsonl")
    return comment


def build_har(records: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
    """The HAR of ``records`` as a dict (what ``write_har`` writes)."""
    out = io.StringIO()
    _write(out, records, summary)
    har: dict[str, Any] = json.loads(out.getvalue())
    return har


def write_har(report_dir: Path, records: Iterable[dict[str, Any]], summary: dict[str, Any]) -> Path:
    """Write ``exchanges.har`` one entry at a time (a long run's exchanges never sit in memory
    together), each redacted twice over: by record, then as text."""
    path = report_dir / HAR_FILE
    with open(path, "w", encoding="utf-8") as out:
        _write(out, records, summary)
    return path


def _write(out: TextIO, records: Iterable[dict[str, Any]], summary: dict[str, Any]) -> None:
    origin = origin_of(summary.get("target") or {})
    started = float(summary.get("started_at") or 0.0)
    creator = json.dumps({"name": "respcheck", "version": __version__})
    out.write(f'{{"log": {{"version": "1.2", "creator": {creator}, "entries": [')
    left_out, separator = 0, "\n"
    for record in records:
        if not replayable(record):
            left_out += 1
            continue
        entry = redact_record(har_entry(record, origin, started))
        out.write(separator + redact_text(json.dumps(entry, ensure_ascii=False)))
        separator = ",\n"
    comment = f"respcheck run against {summary.get('target', {}).get('name', '?')}"
    if left_out:
        comment += (f"; {left_out} exchange(s) outside the Responses API (wrong-method probes) "
                    "are only in exchanges.jsonl")
    # the comment names what was left out, known only now (JSON does not care about key order)
    out.write(f"\n], \"comment\": {json.dumps(redact_text(comment))}}}}}\n")


class Har(FinishHandler):
    name = HAR_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        write_har(self.report_dir, iter_records(self.report_dir), summary)
