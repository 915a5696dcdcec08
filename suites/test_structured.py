"""Structured output: json_schema (strict) and json_object.

``request.text_format`` judges every answer against the format its request asked for (replay
finds it too); these scenarios send the requests that exercise it.
"""

from __future__ import annotations

import pytest

from respcheck.scenario import JSON_AND_SSE, final

pytestmark = [pytest.mark.area("structured"), pytest.mark.structured_output]

SCHEMAS = {
    "person": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    },
    "shopping_list": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "string"}}},
        "required": ["items"],
        "additionalProperties": False,
    },
    "verdict": {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}, "confidence": {"type": "number"}},
        "required": ["answer", "confidence"],
        "additionalProperties": False,
    },
}


@JSON_AND_SSE
@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.scenario("structured_person_json", name="person", stream=False)
def test_json_schema_strict_output_validates(client, models, conforms, stream, name):
    body = {
        "model": models.text,
        "input": f"Produce a {name.replace('_', ' ')} as JSON.",
        "text": {"format": {"type": "json_schema", "name": name, "strict": True, "schema": SCHEMAS[name]}},
        "stream": stream,
    }
    final(conforms(client.create(body)))


def test_json_object_output_parses(client, models, conforms):
    body = {
        "model": models.text,
        "input": "Return a JSON object with a key 'ok' set to true.",
        "text": {"format": {"type": "json_object"}},
    }
    final(conforms(client.create(body)))
