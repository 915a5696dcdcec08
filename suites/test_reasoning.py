"""Reasoning models: effort accepted, summaries when asked, reasoning tokens counted."""

from __future__ import annotations

import pytest

from respcheck.scenario import final, items_of

pytestmark = [pytest.mark.area("reasoning"), pytest.mark.reasoning]


@pytest.mark.parametrize("effort", ["low", "medium", "high"])
def test_effort_is_accepted(client, models, conforms, effort):
    body = {"model": models.reasoning, "input": "What is 12 * 12?", "reasoning": {"effort": effort}}
    response = final(conforms(client.create(body)))
    assert response["status"] == "completed"
    assert response["reasoning"]["effort"] == effort


@pytest.mark.parametrize("summary", ["auto", "concise", "detailed"])
def test_summary_items_when_asked(client, models, conforms, summary):
    body = {
        "model": models.reasoning,
        "input": "Is 91 a prime number?",
        "reasoning": {"effort": "low", "summary": summary},
    }
    response = final(conforms(client.create(body)))
    reasoning = items_of(response, "reasoning")
    assert reasoning, "summary asked for but no reasoning item"
    assert any(part.get("text") for item in reasoning for part in item.get("summary") or [])


def test_reasoning_tokens_are_counted(client, models, conforms):
    body = {"model": models.reasoning, "input": "What is 7 + 8?", "reasoning": {"effort": "medium"}}
    usage = final(conforms(client.create(body)))["usage"]
    assert usage["output_tokens_details"]["reasoning_tokens"] > 0
