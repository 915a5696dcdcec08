"""Function tools: tool_choice, argument validity, output round trip, parallel calls.

``request.tool_choice`` and ``request.tool_arguments`` judge every answer against its request
(replay finds them too); the scenarios add what only they know (a round trip is answered).
"""

from __future__ import annotations

import pytest

from respcheck.scenario import (
    JSON_AND_SSE,
    TIME_TOOL,
    WEATHER_TOOL,
    completed,
    final,
    function_calls,
    output_text,
)

pytestmark = [pytest.mark.area("tools"), pytest.mark.function_tools]

def _ask(client, models, conforms, stream=False, **extra):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris, in celsius?",
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "stream": stream,
        **extra,
    }
    return conforms(client.create(body))


def _first_call(expect, ex):
    """The answer's first function call (the scenario ends without one: it has nothing to send back)."""
    calls = function_calls(final(ex))
    expect("scenario.answered", bool(calls), "the answer made no function call to send a result back for",
           ex, "/response/body/output", stop=True)
    return calls[0]


@JSON_AND_SSE
@pytest.mark.scenario("tool_choice_required_json", stream=False)
def test_tool_choice_required_calls_a_function(client, models, conforms, stream):
    final(_ask(client, models, conforms, stream, tool_choice="required"))


@JSON_AND_SSE
def test_tool_choice_named_calls_that_function(client, models, conforms, stream):
    final(_ask(client, models, conforms, stream, tool_choice={"type": "function", "name": "get_time"}))


@JSON_AND_SSE
def test_tool_choice_none_calls_nothing(client, models, conforms, expect, stream):
    completed(expect, _ask(client, models, conforms, stream, tool_choice="none"))


@JSON_AND_SSE
def test_tool_choice_auto_is_valid(client, models, conforms, stream):
    final(_ask(client, models, conforms, stream, tool_choice="auto"))


def test_allowed_tools_restricts_the_call(client, models, conforms):
    choice = {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "function", "name": "get_weather"}],
    }
    final(_ask(client, models, conforms, tool_choice=choice))


def _answered_with_text(expect, ex, how):
    response = final(ex)
    text = output_text(response).strip()
    expect("tools.round_trip", response.get("status") == "completed" and bool(text),
           f"the {how} function_call_output was answered with status {response.get('status')!r} and "
           f"{'text' if text else 'no text'}", ex, "/response/body/output")


@pytest.mark.store
def test_function_call_output_round_trip(client, models, conforms, expect):
    first = _ask(client, models, conforms, tool_choice="required", store=True)
    call = _first_call(expect, first)
    body = {
        "model": models.text,
        "previous_response_id": final(first)["id"],
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "input": [
            {
                "type": "function_call_output",
                "call_id": call.get("call_id"),
                "output": '{"temperature": 21, "sky": "clear"}',
            }
        ],
    }
    _answered_with_text(expect, conforms(client.create(body)), "chained")


@pytest.mark.scenario("function_call_output_round_trip")
def test_function_call_output_inline_round_trip(client, models, conforms, expect):
    first = _ask(client, models, conforms, tool_choice={"type": "function", "name": "get_weather"})
    call = _first_call(expect, first)
    body = {
        "model": models.text,
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "input": [
            {"role": "user", "content": "What's the weather in Paris, in celsius?"},
            {
                "type": "function_call",
                "call_id": call.get("call_id"),
                "name": call.get("name"),
                "arguments": call.get("arguments"),
            },
            {"type": "function_call_output", "call_id": call.get("call_id"), "output": '{"temperature": 21}'},
        ],
    }
    _answered_with_text(expect, conforms(client.create(body)), "inline")


def test_parallel_calls_have_distinct_call_ids(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris and in Tokyo, in celsius? Call the tool once per city.",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "parallel_tool_calls": True,
    }
    final(conforms(client.create(body)))


def test_parallel_tool_calls_false_makes_one_call(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris and in Tokyo, in celsius?",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }
    final(conforms(client.create(body)))


def test_max_tool_calls_one(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris and in Tokyo, in celsius?",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "max_tool_calls": 1,
    }
    final(conforms(client.create(body)))
