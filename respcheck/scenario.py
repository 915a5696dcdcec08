"""What the suites share to read a scenario's outcome: the final response, its text, its calls,
and ``Expect``, the one way a scenario records what it expected and did not get.

Suites stay thin: they send requests, hand every exchange to ``conforms`` (the check registry:
its error findings are collected, the scenario goes on) and record what only the scenario
knows ("this prompt asked to recall teal") with ``expect(check_id, holds, message, exchange)``
under a registered scenario check (``checks/expectations.py``). The test fails at its end with
every finding it collected. A scenario that cannot go on (no Response to read an id from)
raises ``ScenarioStopped``: a finding too, and the test ends with its findings so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from respcheck.checks.common import final_response
from respcheck.checks.registry import get_check, scenario_finding
from respcheck.exchange import Exchange
from respcheck.findings import Finding
from respcheck.jsontypes import shown

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


# The scenario check of a request the scenario needs answered with a Response (checks/expectations.py).
ANSWERED = "scenario.answered"


class ScenarioStopped(Exception):
    """The scenario cannot go on (nothing to read the next step from): a finding under ``check_id``
    about ``exchange``, after which the test ends with every finding it collected."""

    def __init__(self, check_id: str, message: str, exchange: Exchange | None, at: str = "") -> None:
        super().__init__(message)
        self.finding = scenario_finding(check_id, message, exchange.id if exchange else None, at)


class Expect:
    """``expect(check_id, holds, message, exchange)``: the scenario's expectation, recorded as a
    finding under a registered scenario check when it does not hold. Returns ``holds``;
    ``stop=True`` also ends the scenario (the next steps need what was missing).

    An expectation whose check ``needs`` a capable model is not judged when the target's model
    only echoes its prompt: the test is skipped as "model cannot answer" instead.
    """

    def __init__(self, record: Callable[[Finding], None], skip: Callable[[str], Any]) -> None:
        self._record = record
        self._skip = skip

    def __call__(
        self, check_id: str, holds: bool, message: str, exchange: Exchange | None, at: str = "",
        *, stop: bool = False,
    ) -> bool:
        if holds:
            return True
        needs = get_check(check_id).needs
        if needs and exchange is not None and echoes_prompt(exchange):
            self._skip(f"model cannot answer: {check_id} needs {needs}, and the target's model "
                       "echoes its prompt")
        if stop:
            raise ScenarioStopped(check_id, message, exchange, at)
        self._record(scenario_finding(check_id, message, exchange.id if exchange else None, at))
        return False


def final(exchange: Exchange) -> dict[str, Any]:
    """The Response an exchange ended with (JSON body, or the stream's terminal event); when there
    is none the scenario stops, the finding quoting the target's error message."""
    found = final_response(exchange)
    if found is None:
        raise ScenarioStopped(ANSWERED, f"{exchange.request.method} {exchange.request.path} answered "
                              f"{exchange.status} with no Response{_error_said(exchange)}", exchange)
    return found[0]


def completed(expect: Expect, exchange: Exchange, with_text: bool = True) -> dict[str, Any]:
    """The final Response, expected ``completed`` (and with output text): ``create.answered``."""
    response = final(exchange)
    status, text = response.get("status"), output_text(response).strip()
    expect("create.answered", status == "completed" and (bool(text) or not with_text),
           f"the Response ended with status {status!r}"
           + ("" if text or not with_text else " and no output text") + ", where a completed answer was due",
           exchange, "/response")
    return response


def cut_at_the_limit(expect: Expect, ex: Exchange, response: dict[str, Any], limit: int) -> None:
    """Asked for a long answer under a tiny limit: an output that reached the limit is incomplete
    (max_output_tokens); a model that stopped earlier on its own is honest and passes."""
    used = (response.get("usage") or {}).get("output_tokens")
    if not isinstance(used, int):
        return  # no count to tell a cut from a short answer (usage.present says the count is missing)
    reached = used >= limit
    status = response.get("status")
    reason = (response.get("incomplete_details") or {}).get("reason")
    ok = (status == "incomplete" and reason == "max_output_tokens") or (status == "completed" and not reached)
    expect("create.max_output_tokens", ok,
           f"with max_output_tokens {limit} and {used!r} output tokens used, the Response ended with "
           f"status {status!r} (incomplete_details.reason {reason!r}); an output cut at the limit is "
           "incomplete with reason max_output_tokens", ex, "/response/status")


def _error_said(exchange: Exchange) -> str:
    body = exchange.body if isinstance(exchange.body, dict) else {}
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return f": {shown(message)}" if message else ""


def echoes_prompt(exchange: Exchange) -> bool:
    """Whether the answer repeats the request's last text input ("You said: What is 2 + 3?"): an
    echo model, which cannot recall or compute. Asked only of an expectation that did not hold."""
    found = final_response(exchange)
    asked = " ".join(last_input_text(exchange.request.body).split()).casefold()
    said = " ".join(output_text(found[0]).split()).casefold() if found else ""
    return len(asked) >= 8 and asked in said


def last_input_text(body: Any) -> str:
    """The text of the request's last input (a string input, or the last message's text)."""
    given = body.get("input") if isinstance(body, dict) else None
    if isinstance(given, str):
        return given
    for item in reversed(given if isinstance(given, list) else []):
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, str):
            return content
        texts = [p["text"] for p in content or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
        if texts:
            return " ".join(texts)
    return ""


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

