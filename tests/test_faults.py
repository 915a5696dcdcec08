"""The fault layer: who may choose a fault, how edits reach the wire, and the scenario names."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.harness import collect_scenarios
from respcheck.faults.layer import FaultLayer, UnknownFault, resolve
from respcheck.faults.model import Frame, Stream, encode_frames
from respcheck.server.run import start_server
from respcheck.sse import parse_sse

KEY = "sk-faults-test"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY = {"model": "gpt-4.1-mini", "input": "Say hello."}


def _post(url: str, headers: dict[str, str] | None = None, **body) -> httpx.Response:
    return httpx.post(
        url + "/responses", json={**BODY, **body}, headers={**AUTH, **(headers or {})}, timeout=10
    )


# -- choosing faults -------------------------------------------------------------------------------


def test_the_fault_header_is_ignored_unless_the_server_allows_it():
    wrap = lambda app: FaultLayer(app)  # noqa: E731  (as `respcheck serve --fault` builds it, with no fault)
    with start_server(api_key=KEY, app_wrapper=wrap) as server:
        answer = _post(server.base_url, {"X-Respcheck-Fault": "object_not_response"})
    assert answer.json()["object"] == "response"


def test_the_fault_header_applies_when_allowed():
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, allow_header=True)) as server:
        faulty = _post(server.base_url, {"X-Respcheck-Fault": "object_not_response,usage_missing"})
        honest = _post(server.base_url)
        unknown = _post(server.base_url, {"X-Respcheck-Fault": "no_such_fault"})
    assert faulty.json()["object"] == "chat.completion" and "usage" not in faulty.json()
    assert honest.json()["object"] == "response"
    assert unknown.status_code == 400 and "no_such_fault" in unknown.json()["error"]["message"]


def test_the_key_echo_variation_really_echoes_the_key():
    # what makes the secret scan (tests/test_secrets.py) mean something
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, allow_header=True)) as server:
        answer = httpx.get(
            server.base_url + "/responses/resp_unknown",
            headers={**AUTH, "X-Respcheck-Fault": "key_echoed_in_errors"},
            timeout=10,
        )
    assert answer.status_code == 404 and KEY in answer.json()["error"]["message"]


def test_server_wide_faults_apply_to_every_request():
    chosen = resolve("status_complete")
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, chosen)) as server:
        assert [_post(server.base_url).json()["status"] for _ in range(2)] == ["complete", "complete"]


def test_rotation_gives_each_request_the_next_fault():
    chosen = resolve(["object_not_response", "status_complete"])
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, chosen, rotate=True)) as server:
        bodies = [_post(server.base_url).json() for _ in range(3)]
    assert [b["object"] for b in bodies] == ["chat.completion", "response", "chat.completion"]
    assert bodies[1]["status"] == "complete"


def test_resolve_rejects_unknown_names():
    with pytest.raises(UnknownFault, match="nope"):
        resolve("created_missing,nope")
    assert [f.name for f in resolve(" created_missing , ")] == ["created_missing"]


def test_stream_edits_reach_the_wire():
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, allow_header=True)) as server:
        answer = _post(server.base_url, {"X-Respcheck-Fault": "crlf_framing,sequence_from_one"}, stream=True)
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert b"\r\n\r\n" in answer.content and b"\n\n" not in answer.content.replace(b"\r\n", b"")
    events, framing = parse_sse(answer.content)
    assert not framing
    assert [e.json["sequence_number"] for e in events] == list(range(1, len(events) + 1))


def test_a_fault_with_nothing_to_break_leaves_the_answer_honest():
    # a function-call fault on a plain text stream: no such event, so no edit (and no 500)
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, allow_header=True)) as server:
        answer = _post(server.base_url, {"X-Respcheck-Fault": "arguments_deltas_differ"}, stream=True)
    events, _ = parse_sse(answer.content)
    assert answer.status_code == 200 and events[-1].json["type"] == "response.completed"


def test_request_edits_reach_the_honest_server():
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, allow_header=True)) as server:
        answer = _post(
            server.base_url, {"X-Respcheck-Fault": "instructions_dropped"}, instructions="Be brief."
        )
    assert answer.json()["instructions"] is None


def test_serve_cli_takes_faults_and_refuses_unknown_ones():
    bad = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "serve", "--port", "0", "--fault", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "unknown fault 'nope'" in bad.stderr
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "respcheck.cli",
            "serve",
            "--port",
            "0",
            "--api-key",
            KEY,
            "--fault",
            "object_not_response",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        # the per-request header means nothing here: only the server-wide fault applies
        answer = _post(url, {"X-Respcheck-Fault": "status_complete"})
        assert answer.json()["object"] == "chat.completion" and answer.json()["status"] == "completed"
    finally:
        process.terminate()
        process.communicate(timeout=30)


# -- frames ------------------------------------------------------------------------------------------


def test_frames_encode_as_sse():
    stream = Stream([Frame("a", {"type": "a"}, before=[": hi"]), Frame(None, "[DONE]")], newline="\r\n")
    assert (
        b"".join(encode_frames(stream))
        == b': hi\r\nevent: a\r\ndata: {"type":"a"}\r\n\r\ndata: [DONE]\r\n\r\n'
    )


def test_renumber_counts_only_numbered_events():
    stream = Stream(
        [Frame(None, {"sequence_number": 5}), Frame(None, "[DONE]"), Frame(None, {"sequence_number": 9})]
    )
    stream.renumber()
    assert [f.data for f in stream.frames] == [{"sequence_number": 0}, "[DONE]", {"sequence_number": 1}]


# -- scenarios ---------------------------------------------------------------------------------------


def test_a_scenario_name_picks_the_parametrisations_its_mark_names():
    declared = collect_scenarios()  # as pytest collects the suites
    assert declared["create_text_json"] == ["test_create.py::test_string_input[text-json]"]
    [recall] = declared["recall_json"]
    assert recall.startswith("test_conversation.py::test_fact_is_recalled_in_turn_two[") and "teal" in recall
    assert recall.endswith("-json]")
    assert declared["delete_then_retrieve"] == ["test_lifecycle.py::test_delete_then_everything_is_404"]
    assert not any("test_generated" in nodeid for ids in declared.values() for nodeid in ids)


def test_catalogue_names_are_identifiers():
    assert all(name.isidentifier() for name in CATALOGUE)


def test_selftest_cli_prints_the_score_and_exits_by_it(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "respcheck.cli",
            "selftest",
            "--fault",
            "sequence_gap",
            "--fault",
            "crlf_framing",
            "--json",
            str(tmp_path / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "sequence_gap" in done.stdout and "stream.sequence_number.monotonic" in done.stdout
    assert "mutation score: 1/1 contract faults killed" in done.stdout
    results = json.loads((tmp_path / "out.json").read_text())["results"]
    assert [r["verdict"] for r in results] == ["clean", "killed", "clean"]
    unknown = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "selftest", "--fault", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and "unknown fault 'nope'" in unknown.stderr
