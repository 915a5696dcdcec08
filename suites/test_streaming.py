"""Streaming: every scenario below is judged by the full stream grammar and assembly checks."""

from __future__ import annotations

import pytest

from respcheck.scenario import WEATHER_TOOL, final, function_calls, items_of, output_text

pytestmark = [pytest.mark.area("streaming"), pytest.mark.stream]


def _event_types(exchange):
    return [e.type for e in exchange.json_events]


@pytest.mark.parametrize(
    "prompt", ["Say hello.", "List three fruits, one per line.", "Explain SSE in one sentence."]
)
def test_text_stream(client, models, conforms, prompt):
    ex = conforms(client.create({"model": models.text, "input": prompt, "stream": True}))
    types = _event_types(ex)
    assert types[0] == "response.created"
    assert "response.output_text.delta" in types
    assert types[-1] == "response.completed"
    assert output_text(final(ex)).strip()


def test_stream_text_equals_concatenated_deltas(client, models, conforms):
    ex = conforms(client.create({"model": models.text, "input": "Name two planets.", "stream": True}))
    deltas = "".join(e.json["delta"] for e in ex.json_events if e.type == "response.output_text.delta")
    assert deltas == output_text(final(ex))


@pytest.mark.function_tools
def test_function_call_stream(client, models, conforms):
    body = {
        "model": models.text,
        "input": "What's the weather in Paris, in celsius?",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "stream": True,
    }
    ex = conforms(client.create(body))
    assert "response.function_call_arguments.delta" in _event_types(ex)
    assert function_calls(final(ex))


@pytest.mark.reasoning
def test_reasoning_summary_stream(client, models, conforms):
    body = {
        "model": models.reasoning,
        "input": "Is 17 a prime number?",
        "reasoning": {"effort": "low", "summary": "auto"},
        "stream": True,
    }
    ex = conforms(client.create(body))
    assert items_of(final(ex), "reasoning")


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
    ex = conforms(client.create(body))
    assert output_text(final(ex)).strip().startswith("{")


def test_incomplete_stream_ends_with_response_incomplete(client, models, conforms):
    body = {
        "model": models.text,
        "input": "Write a long poem about rivers.",
        "max_output_tokens": 16,
        "stream": True,
    }
    ex = conforms(client.create(body))
    assert _event_types(ex)[-1] == "response.incomplete"


def test_sequence_numbers_count_from_zero(client, models, conforms):
    ex = conforms(client.create({"model": models.text, "input": "Say yes.", "stream": True}))
    numbers = [e.json.get("sequence_number") for e in ex.json_events]
    assert numbers == list(range(len(numbers)))


@pytest.mark.parametrize("obfuscation", [True, False])
def test_stream_options_include_obfuscation(client, models, conforms, obfuscation):
    body = {
        "model": models.text,
        "input": "Say hello.",
        "stream": True,
        "stream_options": {"include_obfuscation": obfuscation},
    }
    ex = conforms(client.create(body))
    deltas = [e.json for e in ex.json_events if e.type == "response.output_text.delta"]
    assert deltas
    if not obfuscation:
        assert not any("obfuscation" in d for d in deltas), "include_obfuscation=false still obfuscates"


def test_stream_with_instructions_and_metadata(client, models, conforms):
    body = {
        "model": models.text,
        "input": "Say ok.",
        "instructions": "Be brief.",
        "metadata": {"run": "respcheck"},
        "stream": True,
    }
    created = conforms(client.create(body)).json_events[0].json["response"]
    assert created["instructions"] == "Be brief." and created["metadata"] == {"run": "respcheck"}
