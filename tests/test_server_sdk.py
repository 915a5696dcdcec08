"""The official ``openai`` SDK, pointed at the reference server with ``base_url``, works end to end.

No mocks: the SDK ships its own HTTP client and talks to the server over a real socket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import openai
import pytest

from respcheck.server.run import RunningServer, start_server
from tests.test_server_support import KEY

LATENCY = 0.02  # seconds per streamed token: slow enough for cancel to land mid-run


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server(api_key=KEY) as running:
        yield running


@pytest.fixture(scope="module")
def slow_server() -> Iterator[RunningServer]:
    with start_server(latency=LATENCY) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


def test_create_and_output_text(client):
    response = client.responses.create(model="gpt-4o-mini", input="What is 7 * 6?")
    assert response.status == "completed"
    assert response.output_text == "7 * 6 = 42."
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_stream_helper_reaches_the_final_response(client):
    seen: list[str] = []
    with client.responses.stream(
        model="o4-mini", input="What is 3 + 4?", reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        for event in stream:
            seen.append(event.type)
        final = stream.get_final_response()
    assert seen[0] == "response.created" and seen[-1] == "response.completed"
    assert "response.reasoning_summary_text.delta" in seen
    assert final.output_text == "3 + 4 = 7."
    assert final.output[0].type == "reasoning"
    assert final.usage.output_tokens_details.reasoning_tokens > 0


def test_stream_helper_with_function_tools(client):
    tool = {
        "type": "function",
        "name": "lookup_capital",
        "description": "Capital of a country.",
        "parameters": {
            "type": "object",
            "properties": {"country": {"type": "string"}},
            "required": ["country"],
            "additionalProperties": False,
        },
        "strict": True,
    }
    with client.responses.stream(
        model="gpt-4.1", input="Use lookup_capital for France.", tools=[tool]
    ) as stream:
        arguments = "".join(e.delta for e in stream if e.type == "response.function_call_arguments.delta")
        final = stream.get_final_response()
    [call] = final.output
    assert call.type == "function_call" and call.name == "lookup_capital"
    assert call.arguments == arguments == '{"country":"France"}'


def test_retrieve_and_resume_a_stream(client):
    with client.responses.stream(model="gpt-4o-mini", input="Say something nice about tea.") as stream:
        events = list(stream)
    response_id = events[0].response.id
    retrieved = client.responses.retrieve(response_id)
    assert retrieved.id == response_id and retrieved.status == "completed"
    resumed = list(client.responses.retrieve(response_id, stream=True, starting_after=3))
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in events[4:]]
    assert resumed[-1].type == "response.completed"


def test_delete_then_not_found(client):
    response = client.responses.create(model="gpt-4o-mini", input="hello")
    assert client.responses.delete(response.id) is None
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(response.id)


def test_input_items_paging(client):
    items = [{"role": "user", "content": f"note {n}"} for n in range(5)]
    response = client.responses.create(model="gpt-4o-mini", input=items)
    page = client.responses.input_items.list(response.id, limit=2, order="asc")
    assert len(page.data) == 2 and page.has_more
    every = [item.content[0].text for item in page]  # auto-paging follows `after`
    assert every == [f"note {n}" for n in range(5)]


def test_input_tokens_count(client):
    counted = client.responses.input_tokens.count(model="gpt-4o-mini", input="The quick brown fox.")
    created = client.responses.create(model="gpt-4o-mini", input="The quick brown fox.")
    assert counted.input_tokens == created.usage.input_tokens


def test_previous_response_id_chain(client):
    first = client.responses.create(model="gpt-4o-mini", input="My favourite colour is teal.")
    second = client.responses.create(
        model="gpt-4o-mini", input="What is my favourite colour?", previous_response_id=first.id
    )
    assert second.output_text == "Your favourite colour is teal."


def test_typed_errors(client, server):
    with pytest.raises(openai.NotFoundError) as not_found:
        client.responses.retrieve("resp_does_not_exist")
    assert not_found.value.status_code == 404
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(model="gpt-4o-mini", input="x", temperature=3)
    assert bad.value.param == "temperature" and bad.value.code == "decimal_above_max_value"
    with pytest.raises(openai.BadRequestError) as unknown_model:
        client.responses.create(model="no-such-model", input="x")
    assert unknown_model.value.code == "model_not_found"
    with (
        openai.OpenAI(base_url=server.base_url, api_key="sk-wrong", max_retries=0) as wrong,
        pytest.raises(openai.AuthenticationError) as denied,
    ):
        wrong.responses.create(model="gpt-4o-mini", input="x")
    assert denied.value.status_code == 401
    assert "sk-wrong" not in str(denied.value)


def test_cancel_a_background_response(slow_server):
    with openai.OpenAI(base_url=slow_server.base_url, api_key="any", max_retries=0) as sdk:
        response = sdk.responses.create(
            model="gpt-4o-mini", input="Write a long paragraph about the sea. " * 5, background=True
        )
        assert response.status == "queued"
        for _ in range(200):  # wait (bounded) until it is really running
            if sdk.responses.retrieve(response.id).status == "in_progress":
                break
            time.sleep(LATENCY / 2)
        cancelled = sdk.responses.cancel(response.id)
        assert cancelled.status == "cancelled"
        time.sleep(LATENCY * 3)
        assert sdk.responses.retrieve(response.id).status == "cancelled"
        again = sdk.responses.cancel(response.id)  # cancelling twice is a no-op
        assert again.status == "cancelled"


def test_background_stream_resumes_while_running(slow_server):
    with openai.OpenAI(base_url=slow_server.base_url, api_key="any", max_retries=0) as sdk:
        stream = sdk.responses.create(
            model="gpt-4o-mini", input="What is 10 - 3?", background=True, stream=True
        )
        first = next(iter(stream))
        stream.close()  # the connection drops; the response keeps running
        resumed = list(
            sdk.responses.retrieve(first.response.id, stream=True, starting_after=first.sequence_number)
        )
        assert resumed[0].sequence_number == first.sequence_number + 1
        assert resumed[-1].type == "response.completed"
        assert resumed[-1].response.output_text == "10 - 3 = 7."


def test_models_list_and_retrieve(client):
    names = [m.id for m in client.models.list()]
    assert "gpt-4o-mini" in names and "o4-mini" in names
    assert client.models.retrieve("gpt-4.1").id == "gpt-4.1"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")
