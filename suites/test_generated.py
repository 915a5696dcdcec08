"""Generated valid requests: hypothesis draws create bodies from the request schema; every
answer must be 2xx and silent under every check.

The bodies (as many as the hypothesis profile's ``max_examples``) are drawn by a helper process
(``respcheck.generate.drawer``) while they are sent, one at a time, each while the previous answer is
judged (``respcheck.generate.ahead``): the run then goes at nearly the target's pace. Under
``--concurrency N`` up to N are under way at once (each is an independent request). A failing body
is reported whole, with its curl repro; it is not shrunk, which against a live target would mean
more requests.
"""

from __future__ import annotations

from functools import partial

import pytest

from respcheck.generate.ahead import send_ahead
from respcheck.generate.drawer import Recipe, drawer
from respcheck.generate.requests import valid_create_requests

# ``hypothesis``: the examples come from hypothesis (drawn ahead), so the selftest leaves these out.
pytestmark = [pytest.mark.area("generated"), pytest.mark.hypothesis]

with_and_without_tools = pytest.mark.parametrize(
    "tools",
    [pytest.param(False, id="plain"), pytest.param(True, id="tools", marks=pytest.mark.function_tools)],
)


def _valid(target, models: tuple[str, ...], stream: bool, tools: bool, reasoning: bool,
           rejected: frozenset[str] = frozenset()) -> Recipe:
    """The recipe of the strategy (the drawer's helper process builds it and draws from it). Structured
    output is asked for only of a target that claims it: the others are not judged on it."""
    return partial(valid_create_requests, list(models), stream=stream, store=False, tools=tools,
                   reasoning=reasoning, structured=target.claims("structured_output"), rejected=rejected)


def _check_all(client, conforms, expect, recipe: Recipe, concurrency=1) -> None:
    for _, ex in send_ahead(client.create, drawer().examples(recipe), ahead=concurrency):
        conforms(ex)
        accepted = ex.status is not None and 200 <= ex.status < 300
        # the message quotes the body: built only when it is shown (a repr of every answer costs)
        answer = "" if accepted else f"{ex.body or ex.body_text!r:.300}"
        answered = f"a valid request was answered {ex.status}: {answer}"
        expect("generated.accepted", accepted, answered, ex, "/response/status")


@with_and_without_tools
def test_generated_request_json(client, target, models, conforms, expect, concurrency, tools):
    _check_all(client, conforms, expect,
               _valid(target, (models.text,), False, tools, False, models.rejected(models.text)), concurrency)


@pytest.mark.stream
@with_and_without_tools
def test_generated_request_sse(client, target, models, conforms, expect, concurrency, tools):
    _check_all(client, conforms, expect,
               _valid(target, (models.text,), True, tools, False, models.rejected(models.text)), concurrency)


@pytest.mark.reasoning
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="json"), pytest.param(True, id="sse", marks=pytest.mark.stream)]
)
def test_generated_reasoning_request(client, target, models, conforms, expect, concurrency, stream):
    _check_all(client, conforms, expect, _valid(target, (models.reasoning,), stream, False, True),
               concurrency)
