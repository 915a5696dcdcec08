"""Background mode: queued → terminal, cancel, and resuming a stream with starting_after."""

from __future__ import annotations

import pytest

from respcheck.scenario import TERMINAL_STATUSES, final, is_terminal, poll

pytestmark = [pytest.mark.area("background"), pytest.mark.background, pytest.mark.store]

LONG_PROMPT = "Write a detailed essay of about five hundred words on the history of lighthouses."


def test_background_starts_queued_and_finishes(client, models, conforms):
    ex = conforms(client.create({"model": models.text, "input": "Say hi.", "background": True}))
    assert ex.status == 200
    assert ex.body["status"] in ("queued", "in_progress", "completed")
    done = poll(lambda: conforms(client.retrieve(ex.body["id"])), is_terminal)
    assert done.body["status"] == "completed"


@pytest.mark.cancel
def test_cancel_while_running(client, models, conforms):
    ex = conforms(
        client.create(
            {"model": models.text, "input": LONG_PROMPT, "background": True, "max_output_tokens": 2000}
        )
    )
    cancelled = conforms(client.cancel(ex.body["id"]))
    assert cancelled.status == 200
    assert cancelled.body["status"] == "cancelled"
    later = poll(lambda: conforms(client.retrieve(ex.body["id"])), is_terminal)
    assert later.body["status"] == "cancelled"


@pytest.mark.cancel
def test_cancel_of_finished_response_is_an_error(client, models, conforms):
    ex = conforms(client.create({"model": models.text, "input": "Say hi.", "background": True}))
    poll(lambda: conforms(client.retrieve(ex.body["id"])), is_terminal)
    again = conforms(client.cancel(ex.body["id"]))
    assert 400 <= again.status < 500
    assert again.body["error"]["message"]


@pytest.mark.cancel
def test_cancel_of_foreground_response_is_an_error(client, models, conforms):
    created = final(conforms(client.create({"model": models.text, "input": "Say hi.", "store": True})))
    again = conforms(client.cancel(created["id"]))
    assert 400 <= again.status < 500


@pytest.mark.stream
def test_background_stream_then_resume(client, models, conforms):
    ex = conforms(
        client.create(
            {"model": models.text, "input": "Name three rivers.", "background": True, "stream": True}
        )
    )
    events = ex.json_events
    assert events[0].type in ("response.queued", "response.created")
    response_id = events[0].json["response"]["id"]
    cut = len(events) // 2
    after = events[cut].json["sequence_number"]
    resumed = conforms(client.retrieve(response_id, stream=True, starting_after=after))
    assert [e.json for e in resumed.json_events] == [e.json for e in events[cut + 1 :]]


def test_background_terminal_status_is_final(client, models, conforms):
    ex = conforms(client.create({"model": models.text, "input": "Say ok.", "background": True}))
    done = poll(lambda: conforms(client.retrieve(ex.body["id"])), is_terminal)
    assert done.body["status"] in TERMINAL_STATUSES
    again = conforms(client.retrieve(ex.body["id"]))
    assert again.body["status"] == done.body["status"]
