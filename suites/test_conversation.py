"""Conversation state through previous_response_id: proven by recall, not assumed."""

from __future__ import annotations

import pytest

from respcheck.scenario import JSON_AND_SSE, final, output_text

pytestmark = [pytest.mark.area("conversation"), pytest.mark.store]


@JSON_AND_SSE
@pytest.mark.parametrize(
    ("fact", "question", "answer"),
    [
        ("My favourite colour is teal.", "What is my favourite colour? Answer in one word.", "teal"),
        ("My cat is called Miso.", "What is my cat called? Answer in one word.", "miso"),
    ],
)
def test_fact_is_recalled_in_turn_two(client, models, conforms, stream, fact, question, answer):
    first = final(conforms(client.create({"model": models.text, "input": fact, "store": True})))
    body = {"model": models.text, "input": question, "previous_response_id": first["id"], "stream": stream}
    second = final(conforms(client.create(body)))
    assert second.get("previous_response_id") == first["id"]
    assert answer in output_text(second).lower(), (
        f"turn 2 did not recall {answer!r}: previous_response_id was not honoured"
    )


def test_without_previous_response_id_nothing_is_recalled(client, models, conforms):
    final(
        conforms(
            client.create({"model": models.text, "input": "My favourite colour is teal.", "store": True})
        )
    )
    alone = final(conforms(client.create({"model": models.text, "input": "What is my favourite colour?"})))
    assert "teal" not in output_text(alone).lower()


def test_three_turn_chain(client, models, conforms):
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
    three = final(
        conforms(
            client.create(
                {"model": models.text, "input": "What is my dog called?", "previous_response_id": two["id"]}
            )
        )
    )
    assert "rex" in output_text(three).lower()


def test_unknown_previous_response_id_is_an_error(client, models, conforms):
    ex = conforms(
        client.create({"model": models.text, "input": "Hi.", "previous_response_id": "resp_" + "f" * 48})
    )
    assert 400 <= ex.status < 500
    assert ex.body["error"]["message"]
