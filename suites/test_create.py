"""Create: string and item input, instructions, metadata, max_output_tokens, stream parity."""

from __future__ import annotations

import pytest

from respcheck.scenario import JSON_AND_SSE, completed, cut_at_the_limit, final, output_text

pytestmark = pytest.mark.area("create")


@JSON_AND_SSE
@pytest.mark.parametrize("kind", ["text", "reasoning", "vision"])
@pytest.mark.scenario("create_text_json", kind="text", stream=False)
def test_string_input(client, models, conforms, expect, stream, kind):
    body = {"model": getattr(models, kind), "input": "Say hello in three words.", "stream": stream}
    completed(expect, conforms(client.create(body)))


@JSON_AND_SSE
def test_message_item_input(client, models, conforms, expect, stream):
    body = {
        "model": models.text,
        "stream": stream,
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Reply with the word pong."}]},
        ],
    }
    completed(expect, conforms(client.create(body)))


@JSON_AND_SSE
@pytest.mark.scenario("developer_and_user_json", stream=False)
def test_developer_and_user_messages(client, models, conforms, expect, stream):
    body = {
        "model": models.text,
        "stream": stream,
        "input": [
            {"role": "developer", "content": "Answer briefly."},
            {"role": "user", "content": "What is 2 + 3?"},
        ],
    }
    ex = conforms(client.create(body))
    said = output_text(completed(expect, ex))
    expect("create.arithmetic", "5" in said, f"'What is 2 + 3?' was answered {said[:120]!r}, without 5", ex,
           "/response/body/output")


@JSON_AND_SSE
@pytest.mark.scenario("instructions_json", stream=False)
def test_instructions_are_echoed(client, models, conforms, stream):
    instructions = "You are terse. Answer in at most five words."
    body = {"model": models.text, "input": "Name a colour.", "instructions": instructions, "stream": stream}
    final(conforms(client.create(body)))  # response.echo judges the echo


@JSON_AND_SSE
def test_metadata_is_echoed(client, models, conforms, stream):
    metadata = {"suite": "respcheck", "case": "metadata-echo"}
    body = {"model": models.text, "input": "Say ok.", "metadata": metadata, "stream": stream}
    final(conforms(client.create(body)))  # response.echo judges the echo


@JSON_AND_SSE
@pytest.mark.scenario("tiny_max_output_tokens_json", stream=False)
def test_tiny_max_output_tokens_is_incomplete(client, models, conforms, expect, stream):
    body = {
        "model": models.text,
        "input": "Write a long story about a lighthouse keeper, at least three hundred words.",
        "max_output_tokens": 16,
        "stream": stream,
    }
    ex = conforms(client.create(body))
    cut_at_the_limit(expect, ex, final(ex), 16)


@JSON_AND_SSE
@pytest.mark.parametrize("temperature", [0, 1.0, 2])
def test_temperature_range_accepted(client, models, conforms, expect, stream, temperature):
    model = models.accepting(models.text, "temperature")
    body = {"model": model, "input": "Say hi.", "temperature": temperature, "stream": stream}
    completed(expect, conforms(client.create(body)))


@JSON_AND_SSE
def test_truncation_auto_accepted(client, models, conforms, expect, stream):
    body = {"model": models.text, "input": "Say hi.", "truncation": "auto", "stream": stream}
    completed(expect, conforms(client.create(body)))


@pytest.mark.stream
@pytest.mark.scenario("stream_and_json_parity")
def test_stream_and_json_have_the_same_shape(client, models, conforms, expect):
    body = {"model": models.text, "input": "Count from one to five in words."}
    plain = final(conforms(client.create(dict(body, stream=False))))
    ex = conforms(client.create(dict(body, stream=True)))
    streamed = final(ex)
    differ = sorted(set(plain) ^ set(streamed))
    expect("create.stream_parity", not differ,
           f"the JSON and the streamed Response differ in fields {differ}", ex, "/response")
    kinds = [[i.get("type") for i in r.get("output") or []] for r in (plain, streamed)]
    expect("create.stream_parity", kinds[0] == kinds[1],
           f"the JSON Response has output items {kinds[0]}, the streamed one {kinds[1]}", ex, "/response")
