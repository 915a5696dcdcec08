"""Background mode: queued → terminal, cancel, and resuming a stream with starting_after.

``lifecycle.cancel`` judges each cancel against the statuses the scenario saw; the scenarios add
what their intent knows (this response was still running, that one had finished).
"""

from __future__ import annotations

import pytest

from respcheck.scenario import ANSWERED, TERMINAL_STATUSES, final, is_terminal, poll

pytestmark = [pytest.mark.area("background"), pytest.mark.background, pytest.mark.store]

LONG_PROMPT = "Write a detailed essay of about five hundred words on the history of lighthouses."
BACKGROUND = "background.status"
CANCEL = "background.cancel"


def _status(ex):
    return ex.body.get("status") if isinstance(ex.body, dict) else None


def _started(client, conforms, body):
    """A background create's id (the scenario ends when the create is not answered with one)."""
    return final(conforms(client.create({**body, "background": True})))["id"]


@pytest.mark.scenario("background_finishes")
def test_background_starts_queued_and_finishes(client, models, conforms, expect):
    ex = conforms(client.create({"model": models.text, "input": "Say hi.", "background": True}))
    started = final(ex)
    expect(BACKGROUND, started.get("status") in ("queued", "in_progress", "completed"),
           f"a background create answered status {started.get('status')!r}", ex, "/response/body/status")
    done = poll(lambda: conforms(client.retrieve(started["id"])), is_terminal)
    expect(BACKGROUND, _status(done) == "completed",
           f"the background response ended {done.status} with status {_status(done)!r}, not completed", done,
           "/response/body/status")


@pytest.mark.cancel
@pytest.mark.scenario("cancel_while_running")
@pytest.mark.serial  # under --concurrency: its cancel must reach the response while it runs
def test_cancel_while_running(client, models, conforms, expect):
    rid = _started(client, conforms,
                   {"model": models.text, "input": LONG_PROMPT, "max_output_tokens": 2000})
    cancelled = conforms(client.cancel(rid))
    expect(CANCEL, cancelled.status == 200 and _status(cancelled) == "cancelled",
           f"the cancel of a running background response answered {cancelled.status} with status "
           f"{_status(cancelled)!r}", cancelled, "/response/body/status")
    later = poll(lambda: conforms(client.retrieve(rid)), is_terminal)
    expect(CANCEL, _status(later) == "cancelled",
           f"after its cancel the response ended with status {_status(later)!r}, not cancelled", later,
           "/response/body/status")


@pytest.mark.cancel
def test_cancel_of_finished_response_is_an_error(client, models, conforms, expect):
    rid = _started(client, conforms, {"model": models.text, "input": "Say hi."})
    poll(lambda: conforms(client.retrieve(rid)), is_terminal)
    again = conforms(client.cancel(rid))
    expect(CANCEL, again.status is not None and 400 <= again.status < 500,
           f"the cancel of a finished response answered {again.status}, not a 4xx error", again,
           "/response/status")


@pytest.mark.cancel
@pytest.mark.scenario("cancel_foreground")
def test_cancel_of_foreground_response_is_an_error(client, models, conforms, expect):
    created = final(conforms(client.create({"model": models.text, "input": "Say hi.", "store": True})))
    again = conforms(client.cancel(created["id"]))
    expect(CANCEL, again.status is not None and 400 <= again.status < 500,
           f"the cancel of a foreground response answered {again.status}, not a 4xx error", again,
           "/response/status")


@pytest.mark.stream
def test_background_stream_then_resume(client, models, conforms, expect):
    ex = conforms(
        client.create(
            {"model": models.text, "input": "Name three rivers.", "background": True, "stream": True}
        )
    )
    events = ex.json_events
    response_id = final(ex)["id"]
    cut = len(events) // 2
    after = events[cut].json.get("sequence_number")
    resumed = conforms(client.retrieve(response_id, stream=True, starting_after=after))
    expect(BACKGROUND, [e.json for e in resumed.json_events] == [e.json for e in events[cut + 1 :]],
           f"resumed after sequence_number {after}, the stream sent {len(resumed.json_events)} events; the "
           f"first stream had {len(events) - cut - 1} after it, and they differ", resumed, "/response/events")


def test_background_terminal_status_is_final(client, models, conforms, expect):
    rid = _started(client, conforms, {"model": models.text, "input": "Say ok."})
    done = poll(lambda: conforms(client.retrieve(rid)), is_terminal)
    expect(ANSWERED, _status(done) in TERMINAL_STATUSES,
           f"polling the background response ended {done.status} with status {_status(done)!r}", done,
           "/response/body/status", stop=True)
    again = conforms(client.retrieve(rid))
    expect(BACKGROUND, _status(again) == _status(done),
           f"a finished response said status {_status(done)!r}, then {_status(again)!r}", again,
           "/response/body/status")
