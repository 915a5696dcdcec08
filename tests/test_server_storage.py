"""Storage: a restart on the same database loses nothing; background runs, cancel and resume."""

from __future__ import annotations

import time

import pytest

from respcheck.server.run import start_server
from respcheck.server.store import Store
from tests.test_server_support import assert_clean, client_for, output_text, send, wait_for_status


def test_restart_on_the_same_database_keeps_everything(tmp_path):
    db = tmp_path / "reference.sqlite3"
    kept: dict[str, dict] = {}
    streamed_events: list[dict] = []
    with start_server(db_path=db) as server, client_for(server) as http:
        first = send(http, "POST", "/responses", {"model": "gpt-4o-mini", "input": "My name is Grace."}).body
        second = send(
            http,
            "POST",
            "/responses",
            {
                "model": "o4-mini",
                "input": "What is my name?",
                "previous_response_id": first["id"],
                "reasoning": {"summary": "auto"},
            },
        ).body
        streamed = send(http, "POST", "/responses", {"model": "gpt-4.1", "input": "hello", "stream": True})
        streamed_events = [e.json for e in streamed.events]
        third_id = streamed_events[0]["response"]["id"]
        deleted = send(http, "POST", "/responses", {"model": "gpt-4o-mini", "input": "bye"}).body
        send(http, "DELETE", f"/responses/{deleted['id']}")
        for response_id in (first["id"], second["id"], third_id):
            kept[response_id] = {
                "response": http.get(f"/responses/{response_id}").json(),
                "items": http.get(f"/responses/{response_id}/input_items", params={"order": "asc"}).json(),
            }
    assert output_text(kept[second["id"]]["response"]) == "Your name is Grace."

    with start_server(db_path=db) as server, client_for(server) as http:
        for response_id, before in kept.items():
            retrieved = send(http, "GET", f"/responses/{response_id}")
            assert_clean(retrieved)
            assert retrieved.body == before["response"]
            items = http.get(f"/responses/{response_id}/input_items", params={"order": "asc"}).json()
            assert items == before["items"]
        replay = send(http, "GET", f"/responses/{third_id}", query={"stream": "true"})
        assert [e.json for e in replay.events] == streamed_events
        assert send(http, "GET", f"/responses/{deleted['id']}").status == 404
        # the chain still works after the restart
        third = send(
            http,
            "POST",
            "/responses",
            {"model": "gpt-4o-mini", "input": "What is my name?", "previous_response_id": second["id"]},
        ).body
        assert output_text(third) == "Your name is Grace."


def test_store_false_writes_nothing_to_the_database(tmp_path):
    db = tmp_path / "reference.sqlite3"
    with start_server(db_path=db) as server, client_for(server) as http:
        for stream in (False, True):
            send(
                http,
                "POST",
                "/responses",
                {"model": "gpt-4o-mini", "input": "secret", "store": False, "stream": stream},
            )
    store = Store(db)
    try:
        assert store._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0
        assert store._db.execute("SELECT COUNT(*) FROM input_items").fetchone()[0] == 0
        assert store._db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    finally:
        store.close()


def test_a_run_left_in_flight_is_failed_after_restart(tmp_path):
    db = tmp_path / "reference.sqlite3"
    with start_server(db_path=db, latency=5.0) as server, client_for(server) as http:
        queued = send(
            http, "POST", "/responses", {"model": "gpt-4o-mini", "input": "hi", "background": True}
        ).body
    with start_server(db_path=db) as server, client_for(server) as http:
        after = send(http, "GET", f"/responses/{queued['id']}")
        assert after.body["status"] == "failed"
        assert after.body["error"]["code"] == "server_error"
        assert_clean(after)


@pytest.fixture(scope="module")
def slow():
    with start_server(latency=0.02) as server:
        yield server


def test_cancel_in_flight_over_http_is_clean(slow):
    with client_for(slow) as http:
        created = send(
            http,
            "POST",
            "/responses",
            {"model": "gpt-4o-mini", "input": "Talk about rivers. " * 10, "background": True},
        )
        assert_clean(created)
        wait_for_status(http, created.body["id"], {"in_progress"})
        cancelled = send(http, "POST", f"/responses/{created.body['id']}/cancel")
        assert_clean(cancelled)
        assert cancelled.body["status"] == "cancelled"
        time.sleep(0.1)
        events = send(http, "GET", f"/responses/{created.body['id']}", query={"stream": "true"}).events
        assert all(e.type not in ("response.completed", "response.incomplete") for e in events)


def test_retrieve_stream_follows_a_running_background_response(slow):
    with client_for(slow) as http:
        created = send(
            http,
            "POST",
            "/responses",
            {"model": "gpt-4o-mini", "input": "What is 9 - 4?", "background": True},
        )
        followed = send(
            http, "GET", f"/responses/{created.body['id']}", query={"stream": "true", "starting_after": "1"}
        )
        assert_clean(followed)
        assert followed.events[0].json["sequence_number"] == 2
        assert followed.events[-1].type == "response.completed"
        assert output_text(followed.events[-1].json["response"]) == "9 - 4 = 5."


def test_delete_while_running_cancels_and_removes(slow):
    with client_for(slow) as http:
        created = send(
            http, "POST", "/responses", {"model": "gpt-4o-mini", "input": "Talk. " * 20, "background": True}
        ).body
        assert send(http, "DELETE", f"/responses/{created['id']}").status == 200
        time.sleep(0.1)
        assert send(http, "GET", f"/responses/{created['id']}").status == 404
