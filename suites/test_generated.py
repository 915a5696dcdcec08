"""Generated valid requests: hypothesis draws create bodies from the request schema; every
answer must be 2xx and silent under every check."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from respcheck.generate.requests import valid_create_requests

pytestmark = pytest.mark.area("generated")

with_and_without_tools = pytest.mark.parametrize(
    "tools",
    [pytest.param(False, id="plain"), pytest.param(True, id="tools", marks=pytest.mark.function_tools)],
)


@cache
def _valid(models: tuple[str, ...], stream: bool, tools: bool, reasoning: bool):
    return valid_create_requests(list(models), stream=stream, store=False, tools=tools, reasoning=reasoning)


def _check(client, conforms, body):
    ex = conforms(client.create(body))
    assert ex.status is not None and 200 <= ex.status < 300, (
        f"a valid request was answered {ex.status}: {ex.body or ex.body_text!r:.300}"
    )


@with_and_without_tools
@given(data=st.data())
def test_generated_request_json(client, models, conforms, tools, data):
    _check(client, conforms, data.draw(_valid((models.text,), False, tools, False), label="request"))


@pytest.mark.stream
@with_and_without_tools
@given(data=st.data())
def test_generated_request_sse(client, models, conforms, tools, data):
    _check(client, conforms, data.draw(_valid((models.text,), True, tools, False), label="request"))


@pytest.mark.reasoning
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="json"), pytest.param(True, id="sse", marks=pytest.mark.stream)]
)
@given(data=st.data())
def test_generated_reasoning_request(client, models, conforms, stream, data):
    _check(client, conforms, data.draw(_valid((models.reasoning,), stream, False, True), label="request"))
