"""Streaming: every scenario below is judged by the full stream grammar and assembly checks
(first and terminal events, sequence numbers, deltas joined into the final text, tool choice);
the scenarios add what their request implies (a text stream has text deltas)."""

from __future__ import annotations

import pytest

from respcheck.scenario import WEATHER_TOOL, completed, cut_at_the_limit, final, items_of

pytestmark = [pytest.mark.area("streaming"), pytest.mark.stream]

EVENTS = "streaming.events"


def _event_types(exchange):
    return [e.type for e in exchange.json_events]


@pytest.mark.parametrize(
    "prompt", ["Say hello.", "List three fruits, one per line.", "Explain SSE in one sentence."]
)
@pytest.mark.scenario("stream_text", prompt="Say hello.")
def test_text_stream(client, models, conforms, expect, prompt):
    ex = conforms(client.create({"model": models.text, "input": prompt, "stream": True}))
    completed(expect, ex)
    _has(expect, ex, "response.output_text.delta")


def _has(expect, ex, kind):
    expect(EVENTS, kind in _event_types(ex), f"the stream has no {kind} event", ex, "/response/events")


def test_stream_text_equals_concatenated_deltas(client, models, conforms, expect):
    ex = conforms(client.create({"model": models.text, "input": "Name two planets.", "stream": True}))
    completed(expect, ex)  # stream.assembly.output_text holds the text to its deltas


@pytest.mark.function_tools
@pytest.mark.scenario("stream_function_call")
def test_function_call_stream(client, models, conforms, expect):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris, in celsius?",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "stream": True,
    }
    ex = conforms(client.create(body))
    final(ex)  # request.tool_choice: tool_choice required makes a call
    _has(expect, ex, "response.function_call_arguments.delta")


@pytest.mark.reasoning
@pytest.mark.scenario("stream_reasoning_summary")
def test_reasoning_summary_stream(client, models, conforms, expect):
    body = {
        "model": models.reasoning,
        "input": "Is 17 a prime number?",
        "reasoning": {"effort": "low", "summary": "auto"},
        "stream": True,
    }
    ex = conforms(client.create(body))
    expect("reasoning.answered", bool(items_of(completed(expect, ex), "reasoning")),
           "a reasoning summary was asked for and the streamed Response has no reasoning item", ex,
           "/response/events")


@pytest.mark.structured_output
def test_structured_output_stream(client, models, conforms):
    body = {
        "model": models.text,
        "input": "Give me a person named Ada, aged 36.",
        "text": {
            "format": {
                "type": "json_schema",
                "name": "person",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                    "required": ["name", "age"],
                    "additionalProperties": False,
                },
            }
        },
        "stream": True,
    }
    final(conforms(client.create(body)))  # request.text_format validates the text


@pytest.mark.scenario("stream_long_text")  # 16 deltas: enough for stream.buffered to judge
def test_incomplete_stream_ends_with_response_incomplete(client, models, conforms, expect):
    body = {
        "model": models.text,
        "input": "Write a long poem about rivers.",
        "max_output_tokens": 16,
        "stream": True,
    }
    ex = conforms(client.create(body))
    cut_at_the_limit(expect, ex, final(ex), 16)  # stream.terminal.* hold the event to the status


@pytest.mark.scenario("stream_sequence_numbers")
def test_sequence_numbers_count_from_zero(client, models, conforms):
    # stream.sequence_number.start / .monotonic judge the numbering
    final(conforms(client.create({"model": models.text, "input": "Say yes.", "stream": True})))


@pytest.mark.parametrize("obfuscation", [True, False])
@pytest.mark.scenario("stream_without_obfuscation", obfuscation=False)
def test_stream_options_include_obfuscation(client, models, conforms, expect, obfuscation):
    body = {
        "model": models.text,
        "input": "Say hello.",
        "stream": True,
        "stream_options": {"include_obfuscation": obfuscation},
    }
    ex = conforms(client.create(body))
    deltas = [e.json for e in ex.json_events if e.type == "response.output_text.delta"]
    _has(expect, ex, "response.output_text.delta")
    if not obfuscation:
        expect(EVENTS, not any("obfuscation" in d for d in deltas),
               "stream_options.include_obfuscation false, and the deltas still carry obfuscation", ex,
               "/response/events")


def test_stream_with_instructions_and_metadata(client, models, conforms):
    body = {
        "model": models.text,
        "input": "Say ok.",
        "instructions": "Be brief.",
        "metadata": {"run": "respcheck"},
        "stream": True,
    }
    final(conforms(client.create(body)))  # response.echo judges every Response of the stream
