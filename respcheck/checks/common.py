"""Small helpers the check modules share: where the Response object is, and JSON pointers.

Pointers are rooted at the exchange record (the JSONL format), so a finding's location
reads the same in a recording, a HAR and a report: ``/response/body/usage``,
``/response/events/7/data/sequence_number``, ``/request/body/max_output_tokens``.
"""

from __future__ import annotations

from typing import Any

from respcheck.exchange import Exchange

TERMINAL_EVENTS = ("response.completed", "response.failed", "response.incomplete")
# Endpoints whose 2xx body is a Response object.
RESPONSE_ENDPOINTS = frozenset({"create", "retrieve", "cancel"})


def escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def body_ptr(*parts: Any) -> str:
    return "/response/body" + "".join("/" + escape(p) for p in parts)


def event_ptr(index: int, *parts: Any) -> str:
    return f"/response/events/{index}/data" + "".join("/" + escape(p) for p in parts)


def request_ptr(*parts: Any) -> str:
    return "/request/body" + "".join("/" + escape(p) for p in parts)


def is_vendor_event(event_type: str) -> bool:
    """An extension event: outside OpenAI's ``response.`` namespace and not ``error``."""
    return not (event_type.startswith("response.") or event_type == "error")


def is_success(exchange: Exchange) -> bool:
    return exchange.status is not None and 200 <= exchange.status < 300


def response_objects(exchange: Exchange) -> list[tuple[dict[str, Any], str]]:
    """Every Response object in the exchange, with its pointer.

    A JSON body of create/retrieve/cancel is one; in a stream, every event that carries a
    ``response`` (created, in_progress, queued, and the terminal event) is one.
    """
    if exchange.events is None:
        if (
            exchange.endpoint in RESPONSE_ENDPOINTS
            and is_success(exchange)
            and isinstance(exchange.body, dict)
        ):
            return [(exchange.body, body_ptr())]
        return []
    found = []
    for e in exchange.events:
        if isinstance(e.json, dict) and isinstance(e.json.get("response"), dict):
            found.append((e.json["response"], event_ptr(e.index, "response")))
    return found


def final_response(exchange: Exchange) -> tuple[dict[str, Any], str] | None:
    """The Response the exchange ends with: the JSON body, or the terminal event's response."""
    if exchange.events is None:
        found = response_objects(exchange)
        return found[0] if found else None
    for e in reversed(exchange.events):
        if isinstance(e.json, dict) and e.json.get("type") in TERMINAL_EVENTS:
            response = e.json.get("response")
            if isinstance(response, dict):
                return response, event_ptr(e.index, "response")
    return None
