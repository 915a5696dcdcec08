"""Hostile clients of the reference server (issue 13, lines 18-22): a 400 in OpenAI's shape, never a 500.

Deep nesting, integers of hundreds of digits, lone surrogates, huge bodies, a second server on
a database in use, and a non-Latin-1 id on a faulted server.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respcheck.faults.layer import FaultLayer, resolve
from respcheck.server.request_json import MAX_BODY_BYTES, MAX_JSON_DEPTH
from respcheck.server.run import DatabaseInUse, RunningServer, start_server
from respcheck.server.store import Store
from tests.test_server_support import AUTH, KEY, client_for

BODY_ENDPOINTS = ["/responses", "/responses/input_tokens", "/responses/compact", "/chat/completions"]
SURROGATE = "\\ud800"  # as it travels in JSON: a lone high surrogate, not Unicode text


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server(api_key=KEY) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with client_for(server) as client:
        yield client


def post_raw(client: httpx.Client, path: str, raw: bytes) -> httpx.Response:
    return client.post(path, content=raw, headers={**AUTH, "content-type": "application/json"})


def assert_openai_400(answer: httpx.Response) -> dict:
    assert answer.status_code == 400, (answer.status_code, answer.text[:300])
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    return error


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
@pytest.mark.parametrize("depth", [100_000, MAX_JSON_DEPTH + 1])
def test_deep_nesting_is_a_400(http, path, depth):
    raw = f'{{"model": "gpt-4o-mini", "input": "hi", "metadata": {{"k": {nested(depth)}}}}}'
    assert_openai_400(post_raw(http, path, raw.encode()))


def test_nesting_within_the_limit_still_reaches_validation(http):
    raw = f'{{"model": "gpt-4o-mini", "input": {nested(MAX_JSON_DEPTH - 1)}}}'
    error = assert_openai_400(post_raw(http, "/responses", raw.encode()))
    assert "nest" not in error["message"]  # refused for what it is, not for its depth


@pytest.mark.parametrize("param", ["temperature", "top_p"])
@pytest.mark.parametrize("digits", [400, 4000])
def test_integers_of_hundreds_of_digits_are_a_400(http, param, digits):
    raw = f'{{"model": "gpt-4o-mini", "input": "hi", "{param}": {"9" * digits}}}'
    for path in ("/responses", "/chat/completions"):
        body = raw if path == "/responses" else raw.replace('"input": "hi"', '"messages": []')
        error = assert_openai_400(post_raw(http, path, body.encode()))
        assert len(error["message"]) < 300  # the number is not echoed whole


@pytest.mark.parametrize(
    "body",
    [
        f'{{"model": "gpt-4o-mini", "input": "a{SURROGATE}b"}}',
        f'{{"model": "gpt-4o-mini", "input": "hi", "metadata": {{"k": "{SURROGATE}"}}}}',
        f'{{"model": "gpt-4o-mini", "input": "hi", "metadata": {{"{SURROGATE}": "v"}}}}',
        f'{{"model": "gpt-4o-mini", "input": "hi", "instructions": "{SURROGATE}"}}',
        f'{{"model": "gpt-4o{SURROGATE}", "input": "hi"}}',
        f'{{"model": "gpt-4o-mini", "input": [{{"role": "user", "content": "x{SURROGATE}"}}]}}',
    ],
)
def test_lone_surrogates_are_a_400(http, body):
    for path in ("/responses", "/responses/input_tokens"):
        error = assert_openai_400(post_raw(http, path, body.encode()))
        assert "surrogate" in error["message"]


def test_a_streamed_create_with_a_lone_surrogate_is_refused_before_it_starts(http):
    raw = f'{{"model": "gpt-4o-mini", "input": "a{SURROGATE}", "stream": true, "store": true}}'
    answer = post_raw(http, "/responses", raw.encode())
    assert answer.headers["content-type"].startswith("application/json")
    assert_openai_400(answer)


def test_every_response_reported_completed_and_stored_is_retrievable(http):
    # the data-loss shape of line 19: whatever text the server accepts, it can store and return
    for text in ("plain", "emoji \U0001f600", "nul \u0000 byte", "bidi \u202e"):
        body = {"model": "gpt-4o-mini", "input": text, "stream": True}
        with http.stream("POST", "/responses", json=body) as s:
            lines = [line for line in s.iter_lines() if line.startswith("data: ")]
        final = json.loads(lines[-1].removeprefix("data: "))
        assert final["type"] == "response.completed"
        got = http.get(f"/responses/{final['response']['id']}")
        assert got.status_code == 200 and got.json()["status"] == "completed"


def test_a_response_that_could_not_be_stored_is_never_reported_completed(tmp_path: Path):
    with start_server(api_key=KEY, db_path=tmp_path / "s.sqlite3") as server, client_for(server) as client:
        honest_save = server.store.save_response

        def failing_save(response, *args, **kwargs):
            if response.get("status") == "completed":
                raise OSError("disk full")
            return honest_save(response, *args, **kwargs)

        server.store.save_response = failing_save  # type: ignore[method-assign]
        body = {"model": "gpt-4o-mini", "input": "hi", "stream": True}
        with client.stream("POST", "/responses", json=body) as s:
            events = [json.loads(line[6:]) for line in s.iter_lines() if line.startswith("data: {")]
        assert events and all(e["type"] != "response.completed" for e in events)
        response_id = events[0]["response"]["id"]
        server.store.save_response = honest_save  # type: ignore[method-assign]
        assert client.get(f"/responses/{response_id}").status_code == 404


hostile_strings = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "ok", "\x00", "\U0010ffff"])
hostile_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**500), max_value=10**500)
    | st.floats()
    | hostile_strings
)
hostile_json = st.recursive(
    hostile_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_strings, inner, max_size=3),
    max_leaves=10,
)


def encode_hostile(value: object, depth: int) -> bytes:
    """JSON text Python's encoder would write for ``value`` (NaN, surrogates kept), nested ``depth`` deep."""
    text = json.dumps(value, allow_nan=True)  # ensure_ascii: a surrogate travels as \\udXXX
    return ("[" * depth + text + "]" * depth).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(BODY_ENDPOINTS),
    param=st.sampled_from(["input", "metadata", "instructions", "model", "temperature", "top_p", "messages"]),
    value=hostile_json,
    depth=st.sampled_from([0, 0, 1, MAX_JSON_DEPTH, 5_000, 100_000]),
)
def test_hostile_json_bodies_never_get_a_500(http, path, param, value, depth):
    # a valid request for the endpoint, then one parameter (a repeated key wins) made hostile
    chat = path == "/chat/completions"
    valid = '"messages": [{"role": "user", "content": "hi"}]' if chat else '"input": "hi"'
    head = f'{{"model": "gpt-4o-mini", {valid}, "{param}": '.encode()
    answer = post_raw(http, path, head + encode_hostile(value, depth) + b"}")
    assert answer.status_code < 500, answer.text[:300]
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}


def test_a_body_over_the_limit_is_a_413_in_openai_shape(http):
    raw = b'{"model": "gpt-4o-mini", "input": "' + b"a" * (MAX_BODY_BYTES + 1) + b'"}'
    answer = post_raw(http, "/responses", raw)
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == "request_too_large"


def test_a_small_request_is_answered_within_100_ms_while_a_large_one_is_tokenised(server, http):
    # one 3 MB word: seconds of BPE work (the worst case per byte), far past the context window
    large = b'{"model": "gpt-4o-mini", "input": "' + b"a" * 3_000_000 + b'"}'
    finished = threading.Event()
    outcome: list[int] = []

    def send_large() -> None:
        with client_for(server) as other:
            outcome.append(post_raw(other, "/responses/input_tokens", large).status_code)
        finished.set()

    sender = threading.Thread(target=send_large)
    sender.start()
    time.sleep(0.5)  # the body is in and being counted
    waits: list[float] = []
    for _ in range(20):  # bounded: twenty small requests while the large one is processed
        if finished.is_set():
            break
        started = time.monotonic()
        assert http.get("/models").status_code == 200
        waits.append(time.monotonic() - started)
        time.sleep(0.05)
    sender.join(120)
    assert outcome and outcome[0] in (200, 400), outcome
    # The typical small request within 100 ms, none near the seconds the large one takes (with the
    # work on the event loop the first waits it all out). The median, because on a loaded shared
    # machine (load 19 on 2 cores measured) any single request can lose a time slice.
    assert statistics.median(waits) < 0.1, f"small requests waited {[round(w * 1000) for w in waits]} ms"
    assert max(waits) < 1.0, f"a small request waited {max(waits) * 1000:.0f} ms"
    assert len(waits) >= 3, "the large request finished too fast to measure anything"


def test_a_second_server_on_a_database_in_use_is_refused(tmp_path: Path):
    db = tmp_path / "in-use.sqlite3"
    with start_server(db_path=db):
        with pytest.raises(DatabaseInUse) as refused:
            start_server(db_path=db)
        assert "\n" not in str(refused.value) and str(db) in str(refused.value)
        result = subprocess.run(
            [sys.executable, "-m", "respcheck.cli", "serve", "--port", "0", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "in use" in result.stderr
        assert "Traceback" not in result.stderr
    with start_server(db_path=db):  # free again once the first one stopped
        pass


def test_a_terminal_status_never_changes(tmp_path: Path):
    store = Store(tmp_path / "s.sqlite3")
    try:
        response = {"id": "resp_1", "created_at": 1, "status": "completed", "output": []}
        store.save_response(response, [])
        for later in ("failed", "in_progress", "cancelled"):
            store.save_response({**response, "status": later}, None)
            assert store.get_response("resp_1")["status"] == "completed"
    finally:
        store.close()


def test_a_non_latin1_id_on_a_faulted_server_is_a_404():
    chosen = resolve("reordered_keys")
    paths = [("POST", "/responses/%C3%9E%E2%82%AC/cancel"), ("GET", "/responses/%F0%9F%98%80")]
    with (
        start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, chosen)) as server,
        client_for(server) as client,
    ):
        for method, path in paths:
            answer = client.request(method, path)
            assert answer.status_code == 404, answer.text
            assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
