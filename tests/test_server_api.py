"""The reference server over a real socket: every exchange it produces passes the check registry.

Each test sends real HTTP to a server started on a free loopback port, records the exchange,
judges it under the ``openai`` profile (no error finding allowed) and validates its Response
objects and events under ``openresponses``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from respcheck.server import tokens
from respcheck.server.run import RunningServer, start_server
from tests.test_server_support import (
    assert_clean,
    client_for,
    final_response,
    output_text,
    send,
    wait_for_status,
)

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
}
TIME = {
    "type": "function",
    "name": "get_time",
    "description": "Current time in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
LONG_PROMPT = (
    "Tell me a long story about a cat who likes to sleep in the sun all day long, "
    "dreams of fish, and never wakes up before noon on any day of the week."
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server() as running:
        yield running


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with client_for(server) as client:
        yield client


def create(client: httpx.Client, **body):
    return send(client, "POST", "/responses", body)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_create_text_is_clean_and_deterministic(http, stream):
    first = create(http, model="gpt-4o-mini", input="What is 2 + 3 * 4?", stream=stream)
    second = create(http, model="gpt-4o-mini", input="What is 2 + 3 * 4?", stream=stream)
    assert first.status == 200
    assert_clean(first)
    response = final_response(first)
    assert response["status"] == "completed"
    assert output_text(response) == "2 + 3 * 4 = 14."
    assert output_text(final_response(second)) == output_text(response)
    usage = response["usage"]
    assert usage["output_tokens"] == tokens.count("2 + 3 * 4 = 14.")
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_stream_events_are_ordered_and_assemble_to_the_final_response(http):
    exchange = create(http, model="gpt-4.1", input=LONG_PROMPT, stream=True)
    assert_clean(exchange)
    assert exchange.content_type.startswith("text/event-stream")
    assert not exchange.framing
    types = [e.type for e in exchange.events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert [e.json["sequence_number"] for e in exchange.events] == list(range(len(exchange.events)))
    assert all(e.event == e.type for e in exchange.events)
    deltas = "".join(e.json["delta"] for e in exchange.events if e.type == "response.output_text.delta")
    assert deltas == output_text(final_response(exchange))
    assert exchange.events[-1].json["response"]["output"][0]["id"].startswith("msg_")


def test_sse_frames_use_lf_separators(server):
    body = json.dumps({"model": "gpt-4o-mini", "input": "hi", "stream": True})
    raw = httpx.post(
        server.base_url + "/responses",
        content=body,
        headers={"Authorization": "Bearer k", "content-type": "application/json"},
    ).content
    assert b"\r" not in raw
    assert raw.startswith(b"event: response.created\ndata: {")
    assert raw.endswith(b"\n\n")


def test_instructions_are_kept_and_counted(http):
    plain = final_response(create(http, model="gpt-4o-mini", input="hello"))
    exchange = create(http, model="gpt-4o-mini", input="hello", instructions="Answer briefly, please.")
    assert_clean(exchange)
    instructed = final_response(exchange)
    assert instructed["instructions"] == "Answer briefly, please."
    assert instructed["usage"]["input_tokens"] > plain["usage"]["input_tokens"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_function_call_named_in_prompt(http, stream):
    exchange = create(
        http, model="gpt-4o", input="Use get_weather for Paris.", tools=[WEATHER], stream=stream
    )
    assert_clean(exchange)
    response = final_response(exchange)
    [call] = response["output"]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    assert call["id"].startswith("fc_") and call["call_id"].startswith("call_")
    arguments = json.loads(call["arguments"])
    jsonschema.validate(arguments, WEATHER["parameters"])
    assert arguments["city"] == "Paris"


def test_function_call_output_gets_an_answer_that_uses_it(http):
    first = final_response(create(http, model="gpt-4o", input="Use get_weather for Paris.", tools=[WEATHER]))
    call = first["output"][0]
    exchange = create(
        http,
        model="gpt-4o",
        previous_response_id=first["id"],
        input=[{"type": "function_call_output", "call_id": call["call_id"], "output": "18 C and sunny"}],
        tools=[WEATHER],
        stream=True,
    )
    assert_clean(exchange)
    assert "18 C and sunny" in output_text(final_response(exchange))


@pytest.mark.parametrize(
    ("tool_choice", "names"),
    [
        ("required", ["get_weather"]),
        ("none", []),
        ({"type": "function", "name": "get_time"}, ["get_time"]),
        (
            {
                "type": "allowed_tools",
                "mode": "required",
                "tools": [{"type": "function", "name": "get_time"}],
            },
            ["get_time"],
        ),
    ],
    ids=["required", "none", "named", "allowed_tools"],
)
def test_tool_choice(http, tool_choice, names):
    exchange = create(
        http, model="gpt-4o-mini", input="Hello there.", tools=[WEATHER, TIME], tool_choice=tool_choice
    )
    assert_clean(exchange)
    response = final_response(exchange)
    assert [i["name"] for i in response["output"] if i["type"] == "function_call"] == names
    assert response["tool_choice"] == tool_choice


@pytest.mark.parametrize("parallel", [True, False])
def test_parallel_tool_calls(http, parallel):
    exchange = create(
        http,
        model="gpt-4o",
        input="Call get_weather and get_time for Tokyo.",
        tools=[WEATHER, TIME],
        parallel_tool_calls=parallel,
        stream=True,
    )
    assert_clean(exchange)
    calls = [i for i in final_response(exchange)["output"] if i["type"] == "function_call"]
    assert len(calls) == (2 if parallel else 1)
    assert (
        len({c["output_index"] for c in [e.json for e in exchange.events if e.type.endswith(".added")]}) >= 1
    )


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_json_schema_output_validates(http, stream):
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["answer", "confidence", "tags"],
        "additionalProperties": False,
    }
    exchange = create(
        http,
        model="gpt-4.1-mini",
        input="What is 6 * 7?",
        text={"format": {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}},
        stream=stream,
    )
    assert_clean(exchange)  # the spec's null-only json_schema echo is an erratum in schemas/
    value = json.loads(output_text(final_response(exchange)))
    jsonschema.validate(value, schema)
    assert value["answer"] == "6 * 7 = 42."


def test_json_object_output_parses(http):
    exchange = create(
        http, model="gpt-4o-mini", input="Reply in JSON.", text={"format": {"type": "json_object"}}
    )
    assert_clean(exchange)
    assert isinstance(json.loads(output_text(final_response(exchange))), dict)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_reasoning_summary(http, stream):
    exchange = create(
        http,
        model="o4-mini",
        input="What is 12 * 12?",
        reasoning={"effort": "high", "summary": "detailed"},
        include=["reasoning.encrypted_content"],
        stream=stream,
    )
    assert_clean(exchange)
    response = final_response(exchange)
    reasoning, _message = response["output"]
    assert reasoning["type"] == "reasoning" and reasoning["id"].startswith("rs_")
    assert reasoning["summary"][0]["type"] == "summary_text" and reasoning["summary"][0]["text"]
    assert reasoning["encrypted_content"]
    assert output_text(response) == "12 * 12 = 144."
    details = response["usage"]["output_tokens_details"]
    assert 0 < details["reasoning_tokens"] < response["usage"]["output_tokens"]
    assert response["reasoning"] == {"effort": "high", "summary": "detailed"}
    if stream:
        summary = "".join(
            e.json["delta"] for e in exchange.events if e.type == "response.reasoning_summary_text.delta"
        )
        assert summary == reasoning["summary"][0]["text"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_max_output_tokens_gives_incomplete(http, stream):
    exchange = create(http, model="gpt-4o", input=LONG_PROMPT, max_output_tokens=16, stream=stream)
    assert_clean(exchange)
    response = final_response(exchange)
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["usage"]["output_tokens"] == 16
    assert response["output"][0]["status"] == "incomplete"
    if stream:
        assert exchange.events[-1].type == "response.incomplete"


def test_previous_response_id_recalls_an_earlier_fact(http):
    first = final_response(create(http, model="gpt-4o-mini", input="My name is Ada Lovelace."))
    second = create(http, model="gpt-4o-mini", input="What is my name?", previous_response_id=first["id"])
    assert_clean(second)
    assert output_text(final_response(second)) == "Your name is Ada Lovelace."
    alone = final_response(create(http, model="gpt-4o-mini", input="What is my name?"))
    assert output_text(alone) == "I don't know your name yet."
    assert final_response(second)["usage"]["input_tokens"] > alone["usage"]["input_tokens"]


def test_store_false_keeps_nothing(http):
    exchange = create(http, model="gpt-4o-mini", input="hello", store=False)
    assert_clean(exchange)
    response_id = exchange.body["id"]
    assert exchange.body["store"] is False
    for method, path in [
        ("GET", f"/responses/{response_id}"),
        ("GET", f"/responses/{response_id}/input_items"),
        ("DELETE", f"/responses/{response_id}"),
        ("POST", f"/responses/{response_id}/cancel"),
    ]:
        answer = send(http, method, path)
        assert answer.status == 404, (method, path)
        assert_clean(answer)


def test_retrieve_returns_the_stored_response(http):
    created = create(http, model="gpt-4o-mini", input="hello", metadata={"run": "42"})
    retrieved = send(http, "GET", f"/responses/{created.body['id']}")
    assert_clean(retrieved)
    assert retrieved.body == created.body


def test_retrieve_stream_resumes_after_starting_after(http):
    streamed = create(http, model="gpt-4o-mini", input=LONG_PROMPT, stream=True)
    response_id = streamed.events[0].json["response"]["id"]
    resumed = send(http, "GET", f"/responses/{response_id}", query={"stream": "true", "starting_after": "5"})
    assert_clean(resumed)
    assert [e.json for e in resumed.events] == [e.json for e in streamed.events[6:]]


def test_delete_then_everything_is_404(http):
    response_id = create(http, model="gpt-4o-mini", input="hello").body["id"]
    deleted = send(http, "DELETE", f"/responses/{response_id}")
    assert_clean(deleted)
    assert deleted.body == {"id": response_id, "object": "response.deleted", "deleted": True}
    for method, path in [
        ("GET", f"/responses/{response_id}"),
        ("DELETE", f"/responses/{response_id}"),
        ("POST", f"/responses/{response_id}/cancel"),
        ("GET", f"/responses/{response_id}/input_items"),
    ]:
        answer = send(http, method, path)
        assert answer.status == 404
        assert answer.body["error"]["message"] == f"Response with id '{response_id}' not found."
        assert_clean(answer)


def test_input_items_paging(http):
    items = [{"role": "user", "content": f"message {n}"} for n in range(5)]
    response_id = create(http, model="gpt-4o-mini", input=items).body["id"]
    first = send(http, "GET", f"/responses/{response_id}/input_items", query={"limit": 2, "order": "asc"})
    assert_clean(first)
    assert first.body["object"] == "list" and first.body["has_more"] is True
    texts = [i["content"][0]["text"] for i in first.body["data"]]
    assert texts == ["message 0", "message 1"]
    assert first.body["first_id"] == first.body["data"][0]["id"]
    rest = send(
        http,
        "GET",
        f"/responses/{response_id}/input_items",
        query={"limit": 10, "order": "asc", "after": first.body["last_id"]},
    )
    assert [i["content"][0]["text"] for i in rest.body["data"]] == ["message 2", "message 3", "message 4"]
    assert rest.body["has_more"] is False
    newest = send(http, "GET", f"/responses/{response_id}/input_items", query={"limit": 1})
    assert newest.body["data"][0]["content"][0]["text"] == "message 4"  # default order is desc


def test_input_tokens_agrees_with_usage(http):
    body = {
        "model": "gpt-4o-mini",
        "input": "The quick brown fox jumps over the lazy dog.",
        "instructions": "Be kind.",
    }
    counted = send(http, "POST", "/responses/input_tokens", body)
    assert_clean(counted)
    assert counted.body["object"] == "response.input_tokens"
    assert counted.body["input_tokens"] == final_response(create(http, **body))["usage"]["input_tokens"]


def test_compact(http):
    first = final_response(create(http, model="gpt-4o-mini", input="My name is Ada."))
    compacted = send(
        http, "POST", "/responses/compact", {"model": "gpt-4o-mini", "previous_response_id": first["id"]}
    )
    assert_clean(compacted)
    assert compacted.body["object"] == "response.compaction"
    assert compacted.body["output"][-1]["type"] == "compaction"
    assert compacted.body["output"][0]["content"][0]["text"] == "My name is Ada."


def test_background_runs_and_completes(http):
    created = create(http, model="gpt-4o-mini", input="What is 1 + 1?", background=True)
    assert_clean(created)
    assert created.body["status"] == "queued" and created.body["background"] is True
    done = wait_for_status(http, created.body["id"], {"completed"})
    assert output_text(done) == "1 + 1 = 2."


def test_background_stream_starts_queued(http):
    exchange = create(http, model="gpt-4o-mini", input="What is 1 + 1?", background=True, stream=True)
    assert_clean(exchange)
    assert [e.type for e in exchange.events[:3]] == [
        "response.created",
        "response.queued",
        "response.in_progress",
    ]
    assert exchange.events[0].json["response"]["status"] == "queued"


def test_cancel_of_a_finished_background_response_is_refused(http):
    created = create(http, model="gpt-4o-mini", input="Say hi.", background=True)
    wait_for_status(http, created.body["id"], {"completed"})
    answer = send(http, "POST", f"/responses/{created.body['id']}/cancel")
    assert answer.status == 400
    assert "completed" in answer.body["error"]["message"]
    assert_clean(answer)


def test_writing_requests_get_prose_of_the_asked_length(http):
    short = final_response(create(http, model="gpt-4o-mini", input="Write a poem about rivers."))
    long = final_response(
        create(http, model="gpt-4o-mini", input="Write an essay of 400 words about rivers.")
    )
    assert 400 <= len(output_text(long).split()) < 440
    assert long["usage"]["output_tokens"] > short["usage"]["output_tokens"] > 100


def test_cancel_a_synchronous_response_is_refused(http):
    response_id = create(http, model="gpt-4o-mini", input="hello").body["id"]
    answer = send(http, "POST", f"/responses/{response_id}/cancel")
    assert answer.status == 400
    assert_clean(answer)


ERROR_CASES = [
    ({"input": "x"}, 400, "model", "missing_required_parameter"),
    ({"model": "gpt-9-imaginary", "input": "x"}, 400, "model", "model_not_found"),
    ({"model": "gpt-4o"}, 400, "input", "missing_required_parameter"),
    ({"model": "gpt-4o", "input": 5}, 400, "input", "invalid_type"),
    ({"model": "gpt-4o", "input": "x", "temperature": -1}, 400, "temperature", "decimal_below_min_value"),
    ({"model": "gpt-4o", "input": "x", "temperature": 2.5}, 400, "temperature", "decimal_above_max_value"),
    ({"model": "gpt-4o", "input": "x", "top_p": 1.5}, 400, "top_p", "decimal_above_max_value"),
    ({"model": "gpt-4o", "input": "x", "temperature": "hot"}, 400, "temperature", "invalid_type"),
    (
        {"model": "gpt-4o", "input": "x", "max_output_tokens": 5},
        400,
        "max_output_tokens",
        "integer_below_min_value",
    ),
    (
        {"model": "gpt-4o", "input": "x", "metadata": {f"k{i}": "v" for i in range(17)}},
        400,
        "metadata",
        "object_above_max_properties",
    ),
    (
        {"model": "gpt-4o", "input": "x", "metadata": {"k" * 65: "v"}},
        400,
        "metadata",
        "string_above_max_length",
    ),
    (
        {"model": "gpt-4o", "input": "x", "metadata": {"k": "v" * 513}},
        400,
        "metadata.k",
        "string_above_max_length",
    ),
    ({"model": "gpt-4o", "input": "x", "bogus": 1}, 400, "bogus", "unknown_parameter"),
    ({"model": "gpt-4o", "input": "x", "truncation": "sometimes"}, 400, "truncation", "invalid_value"),
    ({"model": "gpt-4o", "input": "x", "include": ["nope"]}, 400, "include[0]", "invalid_value"),
    ({"model": "gpt-4o", "input": "x", "tool_choice": "required"}, 400, "tool_choice", "invalid_value"),
    (
        {"model": "gpt-4o", "input": "x", "reasoning": {"effort": "high"}},
        400,
        "reasoning.effort",
        "unsupported_parameter",
    ),
    ({"model": "o4-mini", "input": "x", "temperature": 0.2}, 400, "temperature", "unsupported_parameter"),
    (
        {"model": "gpt-4o", "input": "x", "previous_response_id": "resp_missing"},
        400,
        "previous_response_id",
        "previous_response_not_found",
    ),
    (
        {"model": "gpt-4o", "input": [{"role": "wizard", "content": "x"}]},
        400,
        "input[0].role",
        "invalid_value",
    ),
    (
        {
            "model": "gpt-4o",
            "input": "x",
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "n",
                    "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
                    "strict": True,
                }
            },
        },
        400,
        "text.format.schema",
        "invalid_json_schema",
    ),
    (
        {"model": "o4-mini", "input": "x", "reasoning": {"context": "bad"}},
        400,
        "reasoning.context",
        "invalid_value",
    ),
    (
        {"model": "gpt-4o", "input": "x", "text": {"verbosity": "loud"}},
        400,
        "text.verbosity",
        "invalid_value",
    ),
    (
        {"model": "gpt-4o", "input": "x", "stream_options": {"include_obfuscation": False}},
        400,
        "stream_options",
        "invalid_value",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "param", "code"), ERROR_CASES, ids=[c[2] + ":" + c[3] for c in ERROR_CASES]
)
def test_bad_input_gets_openai_error_naming_the_param(http, body, status, param, code):
    answer = create(http, **body)
    assert answer.status == status
    assert_clean(answer)
    error = answer.body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")


def test_unparseable_body_is_a_400(http):
    answer = http.post("/responses", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_auth_is_required(server):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Token abc"}):
        answer = httpx.post(
            server.base_url + "/responses", json={"model": "gpt-4o", "input": "x"}, headers=headers
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["message"].startswith("You didn't provide an API key")


def test_unknown_path_and_method(http):
    unknown = send(http, "GET", "/nothing-here")
    assert unknown.status == 404 and unknown.body["error"]["message"] == "Invalid URL (GET /v1/nothing-here)"
    wrong_method = send(http, "PUT", "/responses")
    assert wrong_method.status == 405 and "error" in wrong_method.body


def test_input_items_bad_query(http):
    response_id = create(http, model="gpt-4o-mini", input="hi").body["id"]
    for query, param in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"order": "up"}, "order")):
        answer = send(http, "GET", f"/responses/{response_id}/input_items", query=query)
        assert answer.status == 400 and answer.body["error"]["param"] == param
        assert_clean(answer)


def test_input_image_and_file_parts_are_accepted(http):
    exchange = create(
        http,
        model="gpt-4o",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Describe this."},
                    {"type": "input_image", "image_url": "https://example.com/cat.png"},
                    {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
                    {
                        "type": "input_file",
                        "filename": "a.pdf",
                        "file_data": "data:application/pdf;base64,JVBERi0=",
                    },
                ],
            }
        ],
    )
    assert_clean(exchange)
    assert exchange.body["status"] == "completed"


def test_truncation_disabled_refuses_an_oversized_input(http):
    from respcheck.server.model import DEFAULT_MODELS

    window = next(m for m in DEFAULT_MODELS if m.name == "gpt-4o-mini").context_window
    big = "word " * (window + 10)
    refused = create(http, model="gpt-4o-mini", input=big)
    assert refused.status == 400 and refused.body["error"]["code"] == "context_length_exceeded"
    assert_clean(refused)
    kept = create(
        http,
        model="gpt-4o-mini",
        input=[{"role": "user", "content": big}, {"role": "user", "content": "hi"}],
        truncation="auto",
        store=False,
    )
    assert kept.status == 200
    assert kept.body["truncation"] == "auto"


def test_chat_completions_json_and_stream(http):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is 5 + 5?"}]}
    plain_exchange = send(http, "POST", "/chat/completions", body)
    assert_clean(plain_exchange)
    plain = plain_exchange.body
    assert plain["object"] == "chat.completion"
    assert plain["choices"][0]["message"]["content"] == "5 + 5 = 10."
    assert (
        plain["usage"]["total_tokens"]
        == plain["usage"]["prompt_tokens"] + plain["usage"]["completion_tokens"]
    )
    streamed = send(
        http, "POST", "/chat/completions", {**body, "stream": True, "stream_options": {"include_usage": True}}
    )
    assert_clean(streamed)
    assert streamed.events[-1].is_done_marker
    chunks = [e.json for e in streamed.events if e.json]
    assert (
        "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        == "5 + 5 = 10."
    )
    assert chunks[-1]["usage"]["completion_tokens"] == plain["usage"]["completion_tokens"]


def test_retrieve_stream_of_a_json_created_response_is_rebuilt_and_clean(http):
    created = create(
        http,
        model="o4-mini",
        input="What is 8 * 8?",
        reasoning={"summary": "auto"},
    ).body
    replayed = send(http, "GET", f"/responses/{created['id']}", query={"stream": "true"})
    assert_clean(replayed)
    assert final_response(replayed) == created
    again = send(http, "GET", f"/responses/{created['id']}", query={"stream": "true", "starting_after": "3"})
    assert [e.json for e in again.events] == [e.json for e in replayed.events[4:]]


def test_chat_completions_tool_calls_and_errors(http):
    tools = [{"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}]
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Use get_weather for Oslo."}],
        "tools": tools,
    }
    plain = send(http, "POST", "/chat/completions", body)
    assert_clean(plain)
    [call] = plain.body["choices"][0]["message"]["tool_calls"]
    assert plain.body["choices"][0]["finish_reason"] == "tool_calls"
    assert json.loads(call["function"]["arguments"])["city"] == "Oslo"
    streamed = send(http, "POST", "/chat/completions", {**body, "stream": True})
    assert_clean(streamed)
    pieces = [
        tc["function"].get("arguments", "")
        for e in streamed.events
        if e.json
        for tc in e.json["choices"][0]["delta"].get("tool_calls") or []
    ]
    assert "".join(pieces) == call["function"]["arguments"]
    refused = send(http, "POST", "/chat/completions", {"model": "gpt-4o", "messages": []})
    assert refused.status == 400 and refused.body["error"]["param"] == "messages"
    assert_clean(refused)


def test_retrieve_options(http):
    streamed = create(http, model="gpt-4o-mini", input="hello there", stream=True)
    assert any("obfuscation" in e.json for e in streamed.events)
    assert streamed.headers["x-request-id"].startswith("req_")
    response_id = streamed.events[0].json["response"]["id"]
    plain = send(
        http, "GET", f"/responses/{response_id}", query={"stream": "true", "include_obfuscation": "false"}
    )
    assert_clean(plain)
    assert not any("obfuscation" in e.json for e in plain.events)
    bad = send(http, "GET", f"/responses/{response_id}", query={"include[]": "everything"})
    assert bad.status == 400 and bad.body["error"]["param"] == "include[0]"
    assert_clean(bad)
    quiet = create(
        http, model="gpt-4o-mini", input="hi", stream=True, stream_options={"include_obfuscation": False}
    )
    assert_clean(quiet)
    assert not any("obfuscation" in e.json for e in quiet.events)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_logprobs_on_request(http, stream):
    exchange = create(
        http,
        model="gpt-4o-mini",
        input="What is 2 + 2?",
        include=["message.output_text.logprobs"],
        top_logprobs=2,
        stream=stream,
    )
    assert_clean(exchange)
    part = final_response(exchange)["output"][0]["content"][0]
    assert "".join(lp["token"] for lp in part["logprobs"]) == part["text"] == "2 + 2 = 4."
    assert all(
        lp["logprob"] == 0.0 and lp["top_logprobs"][0]["token"] == lp["token"] for lp in part["logprobs"]
    )
    if stream:
        deltas = [e.json for e in exchange.events if e.type == "response.output_text.delta"]
        assert [d["logprobs"][0]["token"] for d in deltas] == [d["delta"] for d in deltas]


@pytest.mark.parametrize(
    ("field", "value"),
    [("reasoning", {"effort": "max"}), ("service_tier", "fast"), ("service_tier", "ultrafast")],
)
def test_every_value_the_schema_allows_is_accepted(http, field, value):
    """The server's enums come from OpenAI's schema, so it never refuses what OpenAI accepts.
    (Open Responses knows fewer efforts, so only the openai profile is asked to stay silent.)"""
    from respcheck.judge import judge
    from tests.test_server_support import errors_of

    model = "o4-mini" if field == "reasoning" else "gpt-4.1-mini"
    exchange = create(http, model=model, input="What is 2 + 2?", **{field: value})
    assert exchange.status == 200, exchange.body
    assert errors_of(judge(exchange, "openai")) == []


def test_an_effort_outside_the_schema_is_refused_with_the_schema_values(http):
    exchange = create(http, model="o4-mini", input="Hi.", reasoning={"effort": "extreme"})
    assert exchange.status == 400
    assert exchange.body["error"]["param"] == "reasoning.effort"
    assert "'max'" in exchange.body["error"]["message"]
