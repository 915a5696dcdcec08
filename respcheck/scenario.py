"""What the suites share to read a scenario's outcome: the final response, its text, its calls.

Suites stay thin: they send requests, hand every exchange to ``conforms`` (the check
registry) and then assert only what their scenario is about, with these helpers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from respcheck.checks.common import final_response
from respcheck.exchange import Exchange

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})

# Run a scenario as a JSON answer and as a stream (the stream case needs the stream capability).
JSON_AND_SSE = pytest.mark.parametrize(
    "stream", [pytest.param(False, id="json"), pytest.param(True, id="sse", marks=pytest.mark.stream)]
)

# The function tools the tool and streaming scenarios declare.
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME_TOOL = {
    "type": "function",
    "name": "get_time",
    "description": "Current local time in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def final(exchange: Exchange) -> dict[str, Any]:
    """The Response an exchange ended with (JSON body, or the stream's terminal event)."""
    found = final_response(exchange)
    assert found is not None, f"{exchange.id}: no final Response object (status {exchange.status})"
    return found[0]


def output_text(response: dict[str, Any]) -> str:
    """All output_text of all message items, joined (what the SDKs call ``output_text``)."""
    parts = []
    for item in response.get("output") or []:
        if item.get("type") == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    parts.append(part.get("text") or "")
    return "".join(parts)


def items_of(response: dict[str, Any], item_type: str) -> list[dict[str, Any]]:
    return [i for i in response.get("output") or [] if i.get("type") == item_type]


def function_calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    return items_of(response, "function_call")


def call_arguments(call: dict[str, Any]) -> Any:
    """A function call's arguments, parsed (the assertion names the call when they are not JSON)."""
    try:
        return json.loads(call.get("arguments") or "")
    except ValueError as exc:
        raise AssertionError(f"function call {call.get('call_id')}: arguments are not JSON: {exc}") from None


def poll(
    fetch: Callable[[], Exchange],
    done: Callable[[Exchange], bool],
    timeout: float = 30.0,
    interval: float = 0.05,
) -> Exchange:
    """Call ``fetch`` until ``done`` says so; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        exchange = fetch()
        if done(exchange) or time.monotonic() >= deadline:
            return exchange
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)


def is_terminal(exchange: Exchange) -> bool:
    body = exchange.body if isinstance(exchange.body, dict) else {}
    return exchange.status != 200 or body.get("status") in TERMINAL_STATUSES

