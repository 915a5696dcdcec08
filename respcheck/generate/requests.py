"""Generated valid Create Response request bodies: cheap and meaningful.

Valid requests come from the schema compiler run on the full request schema, with overrides that keep
them cheap and answerable: the target's models, a small ``max_output_tokens``, realistic inputs,
function tools only, no fields that cost money or need resources that do not exist (stored prompts,
conversations, previous responses, file ids...). The top-level fields are an allow-list, so a field
added to the schema later stays out until someone decides it is safe. Every body still validates
against the full request schema (tests/test_generate.py checks 1,000 of them).

Invalid requests (one mutation away from a valid one) are ``invalid_requests``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from hypothesis.strategies import SearchStrategy

from respcheck.generate import vocabulary
from respcheck.generate.strategies import OMIT, Always, Limits, SchemaCompiler
from respcheck.schemas.registry import schemas_root

__all__ = [
    "SAFE_FIELDS",
    "create_request_schema",
    "top_level_fields",
    "valid_create_requests",
]

PROMPTS = (
    "Say hello.",
    "What is 2 + 2?",
    "Name one primary colour.",
    "Reply with the single word: ok",
    "Translate 'good morning' into French.",
    "Give me a three-word slogan for tea.",
    "What is the capital of Japan?",
    "Count from 1 to 5.",
)

_TEXT = {
    "anyOf": [{"type": "string", "enum": list(PROMPTS)}, {"type": "string", "minLength": 1, "maxLength": 40}]
}
_INPUT_TEXT_PART = {
    "type": "object",
    "properties": {"type": {"const": "input_text"}, "text": _TEXT},
    "required": ["type", "text"],
    "additionalProperties": False,
}
_MESSAGE = {
    "type": "object",
    "properties": {
        "type": {"const": "message"},
        "role": {"enum": ["user", "developer", "system"]},
        "content": {
            "anyOf": [_TEXT, {"type": "array", "items": _INPUT_TEXT_PART, "minItems": 1, "maxItems": 2}]
        },
    },
    "required": ["role", "content"],
    "additionalProperties": False,
}
_ASSISTANT_TURN = {  # earlier model output replayed as history (plain-text content)
    "type": "object",
    "properties": {"role": {"const": "assistant"}, "content": _TEXT},
    "required": ["role", "content"],
    "additionalProperties": False,
}
# String input, or a short conversation that ends with a user-side message.
INPUT_SCHEMA = {
    "anyOf": [
        _TEXT,
        {"type": "array", "items": _MESSAGE, "minItems": 1, "maxItems": 2},
        {
            "type": "array",
            "prefixItems": [_MESSAGE, _ASSISTANT_TURN, _MESSAGE],
            "items": False,
            "minItems": 3,
            "maxItems": 3,
        },
    ]
}

_PARAMETER = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "type": {"enum": ["string", "integer", "number", "boolean"]},
                "description": {"type": "string", "maxLength": 24},
            },
            "required": ["type"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "string"},
                "enum": {
                    "type": "array",
                    "items": {"enum": ["celsius", "fahrenheit", "asc", "desc", "any"]},
                    "minItems": 1,
                    "maxItems": 3,
                    "uniqueItems": True,
                },
            },
            "required": ["type", "enum"],
            "additionalProperties": False,
        },
    ]
}
_PARAMETERS = {  # a small JSON Schema object, the shape real function tools declare
    "type": "object",
    "properties": {
        "type": {"const": "object"},
        "properties": {
            "type": "object",
            "propertyNames": {"enum": ["city", "unit", "date", "query", "limit"]},
            "additionalProperties": _PARAMETER,
            "maxProperties": 3,
        },
        "additionalProperties": {"const": False},
    },
    "required": ["type", "properties"],
    "additionalProperties": False,
}


def _function_tool(names: list[str]) -> dict:
    return {
        "type": "object",
        "properties": {
            "type": {"const": "function"},
            "name": {"enum": names},
            "description": {"type": "string", "maxLength": 40},
            "strict": {"const": False},
            "parameters": _PARAMETERS,
        },
        "required": ["type", "name", "strict", "parameters"],
        "additionalProperties": False,
    }


# Up to two function tools whose names cannot collide (drawn from disjoint lists). Enums, not
# patterns: a regex costs hypothesis one draw per character.
TOOLS_SCHEMA = {
    "type": "array",
    "prefixItems": [
        _function_tool(["get_weather", "get_time", "get_stock_price"]),
        _function_tool(["find_city", "find_book", "find_recipe"]),
    ],
    "items": False,
    "maxItems": 2,
}
_STRICT_OUTPUT_SCHEMAS = [
    {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["name", "count"],
        "additionalProperties": False,
    },
]
PLAIN_TEXT_FORMAT = {
    "type": "object",
    "properties": {"type": {"const": "text"}},
    "required": ["type"],
    "additionalProperties": False,
}
TEXT_FORMAT_SCHEMA = {
    "anyOf": [
        PLAIN_TEXT_FORMAT,
        {
            "type": "object",
            "properties": {
                "type": {"const": "json_schema"},
                "name": {"enum": ["answer", "result", "extraction"]},
                "strict": {"const": True},
                "schema": {"enum": _STRICT_OUTPUT_SCHEMAS},
            },
            "required": ["type", "name", "schema"],
            "additionalProperties": False,
        },
    ]
}
REASONING_SCHEMA = {
    "type": "object",
    "properties": {
        "effort": {"enum": ["low", "medium", "high"]},
        "summary": {"enum": ["auto", "concise", "detailed"]},
    },
    "additionalProperties": False,
}

# Top-level fields generated by default. Anything else in the schema is left out unless asked for
# (``allow=``): it costs money, needs an external resource, or was added after this list was written.
SAFE_FIELDS = frozenset(
    {
        "model", "input", "instructions", "max_output_tokens", "metadata", "temperature", "top_p",
        "parallel_tool_calls", "tool_choice", "tools", "text", "truncation", "user", "safety_identifier",
        "prompt_cache_key", "max_tool_calls", "service_tier", "stream", "store", "background", "reasoning",
        "stream_options",
    }
)  # fmt: skip



def create_request_schema(profile_dir: str = "openai") -> dict:
    """The committed request schema of a profile (``schemas/<profile_dir>/create_request.json``)."""
    return _load_schema(profile_dir)


@cache
def _load_schema(profile_dir: str) -> dict:
    return json.loads((schemas_root() / profile_dir / "create_request.json").read_text(encoding="utf-8"))


def valid_create_requests(
    models: Sequence[str],
    *,
    stream: bool | None = None,
    store: bool | None = None,
    tools: bool = True,
    reasoning: bool = False,
    structured: bool = True,
    allow: Iterable[str] = (),
    overrides: Mapping[str, Any] | None = None,
    schema: dict | None = None,
    limits: Limits | None = None,
    rejected: Iterable[str] = (),
) -> SearchStrategy[dict]:
    """Create Response bodies that a conforming target should answer with 2xx.

    ``stream``/``store``: None leaves the field out, a bool always sends that value.
    ``tools``: up to two function tools with small parameter schemas (``tool_choice`` auto/none).
    ``structured``: ``text.format`` may ask for structured output (json_schema); else only plain text
    (a target that does not claim structured output is not judged on it).
    ``reasoning``: the models are reasoning models: send ``reasoning`` and ``text.verbosity``, and no
    sampling parameters (reasoning models reject ``temperature``/``top_p``).
    ``allow``: top-level fields to generate from the full schema although they are left out by default.
    ``overrides``: extra compiler overrides (instance paths like ``"/previous_response_id"``), applied last.
    ``rejected``: top-level parameters the models reject (``temperature`` for a reasoning model): never sent.
    """
    if not models:
        raise ValueError("valid_create_requests needs at least one model name")
    schema = schema if schema is not None else create_request_schema()
    compiler = SchemaCompiler(
        schema,
        overrides={**_valid_overrides(schema, models, stream, store, tools, reasoning, structured, set(allow),
                                      overrides),
                   **{f"/{name}": OMIT for name in rejected}},
        limits=limits or Limits(max_string=24, optional_halvings=2, max_map_entries=2),
    )
    return compiler.strategy()


def _valid_overrides(
    schema: dict,
    models: Sequence[str],
    stream: bool | None,
    store: bool | None,
    tools: bool,
    reasoning: bool,
    structured: bool,
    allow: set[str],
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    def fixed(value: bool | None) -> Any:
        return OMIT if value is None else Always({"const": value})

    chosen: dict[str, Any] = {
        "/model": Always({"type": "string", "enum": list(dict.fromkeys(models))}),
        "/input": Always(INPUT_SCHEMA),
        "/max_output_tokens": Always({"type": "integer", "minimum": 16, "maximum": 64}),
        "/stream": fixed(stream),
        "/store": fixed(store),
        "/background": {"const": False},
        "/stream_options": OMIT
        if not stream
        else {
            "type": "object",
            "properties": {"include_obfuscation": {"type": "boolean"}},
            "additionalProperties": False,
        },
        "/tools": TOOLS_SCHEMA if tools else OMIT,
        "/tool_choice": {"enum": ["auto", "none"]},
        "/max_tool_calls": {"type": "integer", "minimum": 1, "maximum": 4},
        "/service_tier": {"enum": ["auto", "default"]},
        "/text/format": TEXT_FORMAT_SCHEMA if structured else PLAIN_TEXT_FORMAT,
        "/text/verbosity": {"enum": ["low", "medium", "high"]} if reasoning else OMIT,
        "/reasoning": REASONING_SCHEMA if reasoning else OMIT,
        "/temperature": OMIT if reasoning else {"type": "number", "minimum": 0, "maximum": 2},
        "/top_p": OMIT if reasoning else {"type": "number", "minimum": 0, "maximum": 1},
    }
    for name in top_level_fields(schema):
        if name not in SAFE_FIELDS:
            chosen[f"/{name}"] = OMIT
    for name in allow:
        chosen.pop(f"/{name}", None)
    chosen.update(extra or {})
    return chosen


def top_level_fields(schema: dict) -> list[str]:
    """Property names of the request object, through ``$ref`` and ``allOf``."""
    return sorted({name for name, _, _ in vocabulary.object_fields(schema, schema, "#", 0)})

