"""Bad input of every kind gets a 4xx in OpenAI's shape; never a 500, never a traceback.

Hypothesis builds create requests whose parameters hold arbitrary JSON (wrong types,
odd nesting, out-of-range numbers) and sends them over a real socket.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respcheck.server.params import KNOWN_PARAMETERS
from respcheck.server.run import RunningServer, start_server
from tests.test_server_support import assert_clean, client_for, send

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Parameters whose real values would start a slow run; everything else may take any JSON.
PARAMETERS = [*sorted(KNOWN_PARAMETERS - {"background", "stream", "model"}), "bogus"]
bodies = st.fixed_dictionaries(
    {"model": st.sampled_from(["gpt-4o-mini", "o4-mini"]) | json_values},
    optional={name: json_values for name in PARAMETERS},
)
input_items = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["message", "function_call", "function_call_output", "reasoning", "x"]),
            "role": st.sampled_from(["user", "assistant", "system", "developer", "tool"]) | json_values,
            "content": json_values
            | st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(
                            ["input_text", "output_text", "input_image", "input_file", "x"]
                        )
                    },
                    optional={"text": json_values, "image_url": json_values, "file_data": json_values},
                ),
                max_size=3,
            ),
            "call_id": json_values,
            "name": json_values,
            "arguments": json_values,
            "output": json_values,
            "summary": json_values,
        },
    ),
    max_size=4,
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server() as running:
        yield running


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with client_for(server) as client:
        yield client


def assert_answered_properly(exchange) -> None:
    assert exchange.status in (200, 400), (exchange.status, exchange.body)
    assert_clean(exchange)
    if exchange.status == 400:
        error = exchange.body["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert "Traceback" not in error["message"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_any_parameter_values(http, body):
    assert_answered_properly(send(http, "POST", "/responses", body))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=input_items)
def test_any_input_items(http, items):
    assert_answered_properly(send(http, "POST", "/responses", {"model": "gpt-4o-mini", "input": items}))


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_numbers_are_refused(http, constant):
    answer = http.post(
        "/responses",
        content=b'{"model": "gpt-4o-mini", "input": "x", "temperature": ' + constant + b"}",
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"
