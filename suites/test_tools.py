"""Function tools: tool_choice, argument validity, output round trip, parallel calls."""

from __future__ import annotations

import jsonschema
import pytest

from respcheck.scenario import (
    JSON_AND_SSE,
    TIME_TOOL,
    WEATHER_TOOL,
    call_arguments,
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
    return final(conforms(client.create(body)))


def _assert_valid_calls(response):
    tools = {"get_weather": WEATHER_TOOL, "get_time": TIME_TOOL}
    for call in function_calls(response):
        assert call["name"] in tools, f"call to an undeclared function {call['name']!r}"
        jsonschema.validate(call_arguments(call), tools[call["name"]]["parameters"])


@JSON_AND_SSE
def test_tool_choice_required_calls_a_function(client, models, conforms, stream):
    response = _ask(client, models, conforms, stream, tool_choice="required")
    assert function_calls(response), "tool_choice=required but no function_call item"
    _assert_valid_calls(response)


@JSON_AND_SSE
def test_tool_choice_named_calls_that_function(client, models, conforms, stream):
    response = _ask(client, models, conforms, stream, tool_choice={"type": "function", "name": "get_time"})
    calls = function_calls(response)
    assert calls and {c["name"] for c in calls} == {"get_time"}
    _assert_valid_calls(response)


@JSON_AND_SSE
def test_tool_choice_none_calls_nothing(client, models, conforms, stream):
    response = _ask(client, models, conforms, stream, tool_choice="none")
    assert not function_calls(response)
    assert output_text(response).strip()


@JSON_AND_SSE
def test_tool_choice_auto_is_valid(client, models, conforms, stream):
    response = _ask(client, models, conforms, stream, tool_choice="auto")
    _assert_valid_calls(response)


def test_allowed_tools_restricts_the_call(client, models, conforms):
    choice = {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "function", "name": "get_weather"}],
    }
    response = _ask(client, models, conforms, tool_choice=choice)
    assert {c["name"] for c in function_calls(response)} <= {"get_weather"}
    _assert_valid_calls(response)


@pytest.mark.store
def test_function_call_output_round_trip(client, models, conforms):
    first = _ask(client, models, conforms, tool_choice="required", store=True)
    call = function_calls(first)[0]
    body = {
        "model": models.text,
        "previous_response_id": first["id"],
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "input": [
            {
                "type": "function_call_output",
                "call_id": call["call_id"],
                "output": '{"temperature": 21, "sky": "clear"}',
            }
        ],
    }
    second = final(conforms(client.create(body)))
    assert second["status"] == "completed"
    assert output_text(second).strip()


def test_function_call_output_inline_round_trip(client, models, conforms):
    first = _ask(client, models, conforms, tool_choice={"type": "function", "name": "get_weather"})
    call = function_calls(first)[0]
    body = {
        "model": models.text,
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "input": [
            {"role": "user", "content": "What's the weather in Paris, in celsius?"},
            {
                "type": "function_call",
                "call_id": call["call_id"],
                "name": call["name"],
                "arguments": call["arguments"],
            },
            {"type": "function_call_output", "call_id": call["call_id"], "output": '{"temperature": 21}'},
        ],
    }
    second = final(conforms(client.create(body)))
    assert output_text(second).strip()


def test_parallel_calls_have_distinct_call_ids(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris and in Tokyo, in celsius? Call the tool once per city.",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "parallel_tool_calls": True,
    }
    response = final(conforms(client.create(body)))
    calls = function_calls(response)
    assert calls
    assert len({c["call_id"] for c in calls}) == len(calls), "parallel calls share a call_id"
    _assert_valid_calls(response)


def test_parallel_tool_calls_false_makes_one_call(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris and in Tokyo, in celsius?",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }
    response = final(conforms(client.create(body)))
    assert len(function_calls(response)) == 1


def test_max_tool_calls_one(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris and in Tokyo, in celsius?",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "max_tool_calls": 1,
    }
    response = final(conforms(client.create(body)))
    assert len(function_calls(response)) <= 1
