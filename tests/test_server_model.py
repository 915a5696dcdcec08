"""The deterministic model's skills and the o200k token counting, without a server."""

from __future__ import annotations

import json

import jsonschema
import pytest

from respcheck.server import tokens
from respcheck.server.input_items import normalize_input
from respcheck.server.model import DEFAULT_MODELS, Turn, _Hints, instance_for, reply

GPT = next(m for m in DEFAULT_MODELS if m.name == "gpt-4o-mini")
O4 = next(m for m in DEFAULT_MODELS if m.name == "o4-mini")


def turn(*texts: str, **kwargs) -> Turn:
    items = [item for t in texts for item in normalize_input(t, "input")]
    return Turn(instructions=None, items=items, tools=kwargs.pop("tools", []), **kwargs)


def test_token_counts_match_openai_for_known_strings():
    # o200k_base facts (checked against tiktoken's published encoding)
    assert tokens.count("The quick brown fox jumps over the lazy dog.") == 10
    assert tokens.count("") == 0
    assert tokens.encode("hello world") == [24912, 2375]


@pytest.mark.parametrize(
    "text", ["plain words", "héllo wörld", "日本語のテキスト", "emoji 🎉🎉 mix", "a\nb\r\nc"]
)
def test_split_tokens_joins_back(text):
    pieces = tokens.split_tokens(text)
    assert "".join(pieces) == text
    assert all(pieces)


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("What is 2 + 2?", "2 + 2 = 4."),
        ("Compute (3 + 4) * 5 please", "(3 + 4) * 5 = 35."),
        ("what is 10 divided by 4", "10 / 4 = 2.5."),
        ("And 3 plus 3?", "3 + 3 = 6."),
        ("91 - 16?", "91 - 16 = 75."),
    ],
)
def test_arithmetic(prompt, answer):
    assert reply(turn(prompt), GPT).text == answer


def test_recall_uses_earlier_turns_only():
    assert reply(turn("My cat is Tom.", "What is my dog?"), GPT).text == "I don't know your dog yet."
    assert reply(turn("What is my dog?"), GPT).text == "I don't know your dog yet."
    assert reply(turn("My dog is Rex.", "What is my dog?"), GPT).text == "Your dog is Rex."
    remembered = reply(turn("Please remember the word banana.", "What did I ask you to remember?"), GPT)
    assert remembered.text == "You asked me to remember banana."


def test_same_input_same_reply():
    first = reply(turn("Tell me something about tea."), O4)
    assert first == reply(turn("Tell me something about tea."), O4)
    assert first.text.startswith("Tea has a long and interesting history.")
    assert reply(turn("Hello there."), O4).text == "You said: Hello there."


def test_reasoning_models_reason_and_summarise_on_request():
    plain = reply(turn("Hi", reasoning_summary=None), O4)
    assert plain.summary == [] and plain.reasoning_tokens > 0
    summarised = reply(turn("Hi", reasoning_summary="auto", reasoning_effort="high"), O4)
    assert summarised.summary and summarised.summary[0].startswith("**")
    assert summarised.reasoning_tokens > plain.reasoning_tokens  # high effort thinks longer than medium
    assert reply(turn("Hi"), GPT).summary is None


SCHEMAS = [
    {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer", "minimum": 5}},
        "required": ["a", "b"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {"list": {"type": "array", "items": {"type": "number"}, "minItems": 2}},
        "required": ["list"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "kind": {"enum": ["x", "y"]},
            "when": {"type": "string", "format": "date"},
            "maybe": {"type": ["string", "null"]},
        },
        "required": ["kind", "when", "maybe"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "nested": {
                "type": "object",
                "properties": {"ok": {"type": "boolean"}},
                "required": ["ok"],
                "additionalProperties": False,
            },
            "choice": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
        "required": ["nested", "choice"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {"code": {"type": "string", "minLength": 12, "maxLength": 14}},
        "required": ["code"],
        "additionalProperties": False,
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_instances_validate_against_their_schema(schema):
    value = instance_for(schema, _Hints("Find flights to Lisbon for 3 people"))
    jsonschema.validate(value, schema)


def test_function_arguments_come_from_the_prompt():
    tool = {
        "type": "function",
        "name": "book",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
            "required": ["city", "people"],
            "additionalProperties": False,
        },
    }
    planned = reply(turn("Please book a trip to Lisbon for 3 people.", tools=[tool]), GPT)
    [call] = planned.calls
    assert json.loads(call.arguments) == {"city": "Lisbon", "people": 3}
    assert planned.text is None


def test_tool_choice_none_answers_in_text():
    tool = {"type": "function", "name": "book", "parameters": {"type": "object", "properties": {}}}
    planned = reply(turn("book it", tools=[tool], tool_choice="none"), GPT)
    assert planned.calls == [] and planned.text == "You said: book it"


OPENAI_WEATHER_TOOL = {  # the tool of OpenAI's function-calling guide, as clients send it
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "parameters": {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location"],
    },
}


def test_asking_for_what_a_tool_provides_calls_it_with_arguments_from_the_prompt():
    planned = reply(turn("What's the weather like in San Francisco?", tools=[OPENAI_WEATHER_TOOL]), GPT)
    [call] = planned.calls
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"location": "San Francisco"}
    assert planned.text is None


def test_the_description_says_what_a_tool_provides():
    tool = {
        "type": "function",
        "name": "lookup",
        "description": "Exchange rates between two currencies.",
        "parameters": {"type": "object", "properties": {"pair": {"type": "string"}}, "required": ["pair"]},
    }
    [call] = reply(turn("What is the exchange rate for Euro to Yen?", tools=[tool]), GPT).calls
    assert call.name == "lookup" and json.loads(call.arguments) == {"pair": "Euro"}


def test_only_the_tool_asked_for_is_called():
    time_tool = {
        "type": "function",
        "name": "get_time",
        "description": "Current local time in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    planned = reply(turn("What time is it in Tokyo?", tools=[OPENAI_WEATHER_TOOL, time_tool]), GPT)
    assert [c.name for c in planned.calls] == ["get_time"]


def test_a_prompt_asking_for_nothing_a_tool_provides_gets_text():
    planned = reply(turn("Say hello in three words.", tools=[OPENAI_WEATHER_TOOL]), GPT)
    assert planned.calls == [] and planned.text


def test_what_a_tool_takes_or_how_it_works_does_not_trigger_it():
    # "location" is the tool's parameter and "current" how it works: neither is what it provides
    planned = reply(turn("Tell me your current location.", tools=[OPENAI_WEATHER_TOOL]), GPT)
    assert planned.calls == []
