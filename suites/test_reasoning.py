"""Reasoning models: effort accepted, summaries when asked, reasoning tokens counted."""

from __future__ import annotations

import pytest

from respcheck.scenario import completed, items_of

pytestmark = [pytest.mark.area("reasoning"), pytest.mark.reasoning]

REASONING = "reasoning.answered"


@pytest.mark.parametrize("effort", ["low", "medium", "high"])
def test_effort_is_accepted(client, models, conforms, expect, effort):
    body = {"model": models.reasoning, "input": "What is 12 * 12?", "reasoning": {"effort": effort}}
    ex = conforms(client.create(body))
    echoed = (completed(expect, ex).get("reasoning") or {}).get("effort")
    expect(REASONING, echoed == effort, f"reasoning.effort {effort!r} was echoed as {echoed!r}", ex,
           "/response/body/reasoning/effort")


@pytest.mark.parametrize("summary", ["auto", "concise", "detailed"])
@pytest.mark.scenario("reasoning_summary_auto", summary="auto")
def test_summary_items_when_asked(client, models, conforms, expect, summary):
    body = {
        "model": models.reasoning,
        "input": "Is 91 a prime number?",
        "reasoning": {"effort": "low", "summary": summary},
    }
    ex = conforms(client.create(body))
    reasoning = items_of(completed(expect, ex), "reasoning")
    texts = [part.get("text") for item in reasoning for part in item.get("summary") or []
             if isinstance(part, dict)]
    expect(REASONING, any(texts),
           f"reasoning.summary {summary!r} was asked for but the Response has {len(reasoning)} reasoning "
           "items and no summary text", ex, "/response/body/output")


@pytest.mark.scenario("reasoning_tokens")
def test_reasoning_tokens_are_counted(client, models, conforms, expect):
    body = {"model": models.reasoning, "input": "What is 7 + 8?", "reasoning": {"effort": "medium"}}
    ex = conforms(client.create(body))
    usage = completed(expect, ex).get("usage") or {}
    counted = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    expect(REASONING, isinstance(counted, int) and counted > 0,
           f"a reasoning model answered with usage.output_tokens_details.reasoning_tokens {counted!r}", ex,
           "/response/body/usage/output_tokens_details/reasoning_tokens")
