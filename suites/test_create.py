"""Create: string and item input, instructions, metadata, max_output_tokens, stream parity."""

from __future__ import annotations

import pytest

from respcheck.scenario import JSON_AND_SSE, final, output_text

pytestmark = pytest.mark.area("create")


@JSON_AND_SSE
@pytest.mark.parametrize("kind", ["text", "reasoning", "vision"])
def test_string_input(client, models, conforms, stream, kind):
    body = {"model": getattr(models, kind), "input": "Say hello in three words.", "stream": stream}
    ex = conforms(client.create(body))
    response = final(ex)
    assert response["status"] == "completed"
    assert output_text(response).strip(), "a completed response should carry some output text"


@JSON_AND_SSE
def test_message_item_input(client, models, conforms, stream):
    body = {
        "model": models.text,
        "stream": stream,
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Reply with the word pong."}]},
        ],
    }
    response = final(conforms(client.create(body)))
    assert response["status"] == "completed"
    assert output_text(response).strip()


@JSON_AND_SSE
def test_developer_and_user_messages(client, models, conforms, stream):
    body = {
        "model": models.text,
        "stream": stream,
        "input": [
            {"role": "developer", "content": "Answer briefly."},
            {"role": "user", "content": "What is 2 + 3?"},
        ],
    }
    response = final(conforms(client.create(body)))
    assert "5" in output_text(response)


@JSON_AND_SSE
def test_instructions_are_echoed(client, models, conforms, stream):
    instructions = "You are terse. Answer in at most five words."
    body = {"model": models.text, "input": "Name a colour.", "instructions": instructions, "stream": stream}
    response = final(conforms(client.create(body)))
    assert response.get("instructions") == instructions


@JSON_AND_SSE
def test_metadata_is_echoed(client, models, conforms, stream):
    metadata = {"suite": "respcheck", "case": "metadata-echo"}
    body = {"model": models.text, "input": "Say ok.", "metadata": metadata, "stream": stream}
    response = final(conforms(client.create(body)))
    assert response.get("metadata") == metadata


@JSON_AND_SSE
def test_tiny_max_output_tokens_is_incomplete(client, models, conforms, stream):
    body = {
        "model": models.text,
        "input": "Write a long story about a lighthouse keeper, at least three hundred words.",
        "max_output_tokens": 16,
        "stream": stream,
    }
    response = final(conforms(client.create(body)))
    assert response["status"] == "incomplete"
    assert (response.get("incomplete_details") or {}).get("reason") == "max_output_tokens"
    assert response["usage"]["output_tokens"] <= 16


@JSON_AND_SSE
@pytest.mark.parametrize("temperature", [0, 1.0, 2])
def test_temperature_range_accepted(client, models, conforms, stream, temperature):
    model = models.accepting(models.text, "temperature")
    body = {"model": model, "input": "Say hi.", "temperature": temperature, "stream": stream}
    response = final(conforms(client.create(body)))
    assert response["status"] == "completed"


@JSON_AND_SSE
def test_truncation_auto_accepted(client, models, conforms, stream):
    body = {"model": models.text, "input": "Say hi.", "truncation": "auto", "stream": stream}
    assert final(conforms(client.create(body)))["status"] == "completed"


@pytest.mark.stream
def test_stream_and_json_have_the_same_shape(client, models, conforms):
    body = {"model": models.text, "input": "Count from one to five in words."}
    plain = final(conforms(client.create(dict(body, stream=False))))
    streamed = final(conforms(client.create(dict(body, stream=True))))
    assert set(plain) == set(streamed), f"fields differ: {set(plain) ^ set(streamed)}"
    assert [i["type"] for i in plain["output"]] == [i["type"] for i in streamed["output"]]
    for response in (plain, streamed):
        assert response["usage"]["output_tokens"] > 0
