"""Conversation state through previous_response_id: proven by recall, not assumed.

Recall needs a model that can recall (``conversation.recall`` says so; an echo model is skipped
as "model cannot answer"); the echo of previous_response_id is ``response.echo``'s.
"""

from __future__ import annotations

import pytest

from respcheck.scenario import JSON_AND_SSE, final, output_text

pytestmark = [pytest.mark.area("conversation"), pytest.mark.store]

RECALL = "conversation.recall"


def _recalled(expect, ex, answer):
    said = output_text(final(ex))
    return expect(RECALL, answer in said.lower(),
                  f"the turn chained by previous_response_id answered {said[:120]!r}, which does not recall "
                  f"{answer!r}: the earlier turn did not reach the model", ex, "/response/body/output")


@JSON_AND_SSE
@pytest.mark.parametrize(
    ("fact", "question", "answer"),
    [
        ("My favourite colour is teal.", "What is my favourite colour? Answer in one word.", "teal"),
        ("My cat is called Miso.", "What is my cat called? Answer in one word.", "miso"),
    ],
)
@pytest.mark.scenario("recall_json", answer="teal", stream=False)
def test_fact_is_recalled_in_turn_two(client, models, conforms, expect, stream, fact, question, answer):
    first = final(conforms(client.create({"model": models.text, "input": fact, "store": True})))
    body = {"model": models.text, "input": question, "previous_response_id": first["id"], "stream": stream}
    _recalled(expect, conforms(client.create(body)), answer)


@pytest.mark.scenario("no_previous_response_id")
def test_without_previous_response_id_nothing_is_recalled(client, models, conforms, expect):
    final(
        conforms(
            client.create({"model": models.text, "input": "My favourite colour is teal.", "store": True})
        )
    )
    ex = conforms(client.create({"model": models.text, "input": "What is my favourite colour?"}))
    said = output_text(final(ex))
    expect("conversation.isolation", "teal" not in said.lower(),
           f"a response created without previous_response_id answered {said[:120]!r}: it knows the earlier "
           "conversation (the relay chains requests it was not asked to)", ex, "/response/body/output")


@pytest.mark.scenario("three_turn_chain")
def test_three_turn_chain(client, models, conforms, expect):
    one = final(
        conforms(client.create({"model": models.text, "input": "My dog is called Rex.", "store": True}))
    )
    two = final(
        conforms(
            client.create(
                {
                    "model": models.text,
                    "input": "My bird is called Kiwi.",
                    "previous_response_id": one["id"],
                    "store": True,
                }
            )
        )
    )
    body = {"model": models.text, "input": "What is my dog called?", "previous_response_id": two["id"]}
    _recalled(expect, conforms(client.create(body)), "rex")


def test_unknown_previous_response_id_is_an_error(client, models, conforms, expect):
    ex = conforms(
        client.create({"model": models.text, "input": "Hi.", "previous_response_id": "resp_" + "f" * 48})
    )
    expect("errors.refused", ex.status is not None and 400 <= ex.status < 500,
           f"a previous_response_id that does not exist was answered {ex.status}, not a 4xx error", ex,
           "/response/status")
