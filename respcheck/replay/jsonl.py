"""respcheck's own recording format: one JSON exchange per line.

It is the format of ``tests/fixtures`` (see its README), adopted as respcheck's own,
so what respcheck records it can replay and the other way round.
"""

from __future__ import annotations

import json
from typing import Any

from respcheck.exchange import MAX_JSON_DEPTH, Exchange, Request, SSEEvent, json_value_problem


class RecordError(ValueError):
    """A record that is not a readable exchange (the message says which part)."""


def exchange_from_record(record: dict[str, Any]) -> Exchange:
    """Build an Exchange from one JSONL record."""
    if not isinstance(record, dict):
        raise RecordError("a record must be a JSON object")
    try:
        req = record["request"]
        resp = record["response"]
        request = Request(
            method=str(req["method"]).upper(),
            path=str(req["path"]),
            query=dict(req.get("query") or {}),
            headers={k.lower(): str(v) for k, v in (req.get("headers") or {}).items()},
            body=req.get("body"),
        )
        headers = {k.lower(): str(v) for k, v in (resp.get("headers") or {}).items()}
        if resp.get("content_type") is not None:
            headers.setdefault("content-type", str(resp["content_type"]))
        events = None
        if resp.get("events") is not None:
            events = [_event(i, e) for i, e in enumerate(resp["events"])]
        status = resp.get("status")
        body, body_text = _judgeable(resp.get("body")) if events is None else (None, None)
        return Exchange(
            id=str(record.get("id") or ""),
            request=request,
            status=int(status) if status is not None else None,
            headers=headers,
            # The format keeps the content type as "content_type" (null: none was sent); a
            # record without that key (or headers) did not record it.
            headers_recorded="content_type" in resp or bool(resp.get("headers")),
            body=body,
            body_text=body_text,
            events=events,
            provider=record.get("provider"),
            notes=list(record.get("notes") or []),
            elapsed=seconds(resp.get("elapsed")),
            broken=resp.get("broken"),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise RecordError(f"not an exchange record ({type(exc).__name__}: {exc})") from None


def _judgeable(value: Any) -> tuple[Any, str | None]:
    """A recorded body as the checks take it: (parsed, None), or (None, its text) when it was recorded
    as text or is a value the live client would not have parsed (nested too deep, a huge or
    non-finite number), so that replay reports it as the same finding instead of crashing a validator."""
    if isinstance(value, str):
        return None, value
    if json_value_problem(value) is None:
        return value, None
    try:
        return None, json.dumps(value)
    except (ValueError, RecursionError):  # deeper than json can write back: a marker, still a finding
        return None, "[" * (MAX_JSON_DEPTH + 1)


def _event(index: int, raw: dict[str, Any]) -> SSEEvent:
    data = raw.get("data")
    problem = None if isinstance(data, str) else json_value_problem(data)
    if problem is not None:
        data = _judgeable(data)[1]
    if isinstance(data, str):
        parsed, error = None, (None if data == "[DONE]" else problem or "data is not JSON")
        text = data
    else:
        parsed, error = data, None
        text = None  # serialised lazily by SSEEvent.data: most checks read only the JSON
    return SSEEvent(
        index=index,
        event=raw.get("event"),
        raw_data=text,
        json=parsed,
        json_error=error,
        id=raw.get("id"),
        arrived_at=seconds(raw.get("t")),
    )


def seconds(value: Any) -> float | None:
    """A recorded time in seconds, or None when the recording has none or not a number (which
    the timing checks could not compare)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def exchange_to_record(exchange: Exchange) -> dict[str, Any]:
    """The JSONL record of an Exchange (what respcheck writes when it records)."""
    response: dict[str, Any] = {"status": exchange.status}
    if exchange.headers_recorded:
        response["content_type"] = exchange.content_type or None
    if exchange.events is not None:
        response["events"] = [
            {
                "event": e.event,
                "data": e.json if e.json is not None else e.data,
                **({"t": round(e.arrived_at, 6)} if e.arrived_at is not None else {}),
            }
            for e in exchange.events
        ]
    else:
        response["body"] = exchange.body if exchange.body is not None else exchange.body_text
    if exchange.elapsed is not None:
        response["elapsed"] = round(exchange.elapsed, 6)
    if exchange.broken:
        response["broken"] = exchange.broken
    request: dict[str, Any] = {"method": exchange.request.method, "path": exchange.request.path}
    if exchange.request.query:
        request["query"] = exchange.request.query
    request["body"] = exchange.request.body
    record: dict[str, Any] = {
        "id": exchange.id,
        "provider": exchange.provider,
        "endpoint": exchange.endpoint,
        "streaming": exchange.events is not None,
        "request": request,
        "response": response,
    }
    if exchange.notes:
        record["notes"] = exchange.notes
    return record


def loads_line(line: str) -> Exchange:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise RecordError(f"not JSON ({exc})") from None
    except RecursionError:
        raise RecordError("JSON nested deeper than Python can read (RecursionError)") from None
    return exchange_from_record(record)
