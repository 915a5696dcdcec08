"""Every printed curl reproduces its exchange when run as printed.

The client sends real requests to the reference server (a POST, a POST …/cancel, a DELETE, a GET
with a query, and all of them again through a base URL with a path prefix); the one repro
builder prints each as curl; the shell runs it; status and body shape must match. A failing
multi-call test (create, delete, retrieve) replays as a sequence with the response id threaded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from respcheck.client import ResponsesClient
from respcheck.config import reference_target
from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity
from respcheck.reports.repros import repro_entries
from respcheck.server.run import RunningServer, start_server
from respcheck.session.failure import describe_findings
from respcheck.session.recording import Recorder
from respcheck.session.repro import curl_for_exchange, curl_sequence, exchange_record, repro_text, with_repro
from respcheck.session.target import identity

KEY_ENV = "RESPCHECK_REPRO_KEY"
KEY = "sk-repro-test"
PREFIX = "/openai"

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def _strip_prefix(app: Any) -> Any:
    """The reference app served under /openai (a relay whose base URL has a path prefix)."""

    async def prefixed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if not scope["path"].startswith(PREFIX + "/"):
                scope = {**scope, "path": "/not-under-the-prefix"}
            else:
                path = scope["path"][len(PREFIX):]
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await app(scope, receive, send)

    return prefixed


@pytest.fixture(scope="module", params=["plain", "prefixed"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[ResponsesClient, dict[str, Any]]]:
    wrapper = _strip_prefix if request.param == "prefixed" else None
    server: RunningServer = start_server(api_key=KEY, app_wrapper=wrapper)
    try:
        base = server.base_url
        if wrapper is not None:
            base = base.replace("/v1", PREFIX + "/v1")
        target = reference_target().with_base_url(base)
        target = type(target)(**{**vars(target), "name": "repro", "api_key_env": KEY_ENV})
        with ResponsesClient(target, environ={KEY_ENV: KEY}) as client:
            yield client, identity(target) | {"base_url": base}
    finally:
        server.stop()


def run_curl(command: str) -> tuple[int, str]:
    """Run a printed command in a shell with the key variable set; (status, body)."""
    done = subprocess.run(["bash", "-c", f"{command} -o /dev/stdout -w '\\n%{{http_code}}'"],
                          capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin",
                                                                            KEY_ENV: KEY}, check=False)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def shape(exchange_or_text: Exchange | str) -> Any:
    """What must match: the keys of a JSON body (error type included), or the event types."""
    if isinstance(exchange_or_text, Exchange):
        if exchange_or_text.events is not None:
            return [e.type for e in exchange_or_text.events]
        body = exchange_or_text.body
    else:
        text = exchange_or_text
        if text.startswith("event:") or "\ndata:" in text:
            data = [line[5:] for line in text.splitlines() if line.startswith("data:")]
            return [json.loads(d).get("type") for d in data]
        body = json.loads(text)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return {"error": body["error"].get("type")}
    return sorted(body) if isinstance(body, dict) else body


def assert_reproduces(exchange: Exchange, shown: dict[str, Any]) -> None:
    command = curl_for_exchange(exchange, shown)
    assert KEY not in command and f"${KEY_ENV}" in command
    status, body = run_curl(command)
    assert status == exchange.status, command
    assert shape(body) == shape(exchange), command


def test_post_create_reproduces(served: tuple[ResponsesClient, dict[str, Any]]) -> None:
    client, shown = served
    assert_reproduces(client.create({"model": "gpt-4.1-mini", "input": "Say hello."}), shown)


def test_post_cancel_of_a_finished_response_reproduces_its_400(
    served: tuple[ResponsesClient, dict[str, Any]],
) -> None:
    client, shown = served
    created = client.create({"model": "gpt-4.1-mini", "input": "Say hello."})
    cancel = client.cancel(created.body["id"])
    assert cancel.status == 400 and cancel.request.method == "POST"
    assert_reproduces(cancel, shown)


def test_delete_reproduces(served: tuple[ResponsesClient, dict[str, Any]]) -> None:
    client, shown = served
    # a repro of a delete runs on the server as it is now: delete the same id twice, reproduce the second
    created = client.create({"model": "gpt-4.1-mini", "input": "Say hello."})
    client.delete(created.body["id"])
    again = client.delete(created.body["id"])
    assert again.status == 404
    assert_reproduces(again, shown)
    fresh = client.create({"model": "gpt-4.1-mini", "input": "Say hello."})
    deleted = exchange_record(client.delete(fresh.body["id"]))
    assert " -X DELETE " in curl_for_exchange(client.delete(fresh.body["id"]), shown)
    assert deleted["request"]["method"] == "DELETE"


def test_get_with_query_reproduces(served: tuple[ResponsesClient, dict[str, Any]]) -> None:
    client, shown = served
    created = client.create({"model": "gpt-4.1-mini", "input": "Say hello.", "stream": True}, stream=True)
    response_id = created.events[0].json["response"]["id"]
    resumed = client.retrieve(response_id, stream=True, starting_after=3)
    assert resumed.events and resumed.events[0].json["sequence_number"] == 4
    command = curl_for_exchange(resumed, shown)
    assert "starting_after=3" in command and "stream=true" in command
    assert_reproduces(resumed, shown)


def test_a_create_delete_retrieve_sequence_replays_with_the_id_threaded(
    served: tuple[ResponsesClient, dict[str, Any]],
) -> None:
    client, shown = served
    created = client.create({"model": "gpt-4.1-mini", "input": "Say hello."})
    deleted = client.delete(created.body["id"])
    retrieved = client.retrieve(created.body["id"])
    commands = curl_sequence([exchange_record(e) for e in (created, deleted, retrieved)], shown)
    assert commands[0].startswith("RESP_1=$(") and created.body["id"] not in "".join(commands)
    earlier = [c if c.startswith("RESP_") else c + " >/dev/null" for c in commands[:-1]]
    done = subprocess.run(["bash", "-c", "\n".join([*earlier, commands[-1] + " -w '\\n%{http_code}'"])],
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                                            KEY_ENV: KEY}, check=False)
    body, _, status = done.stdout.rpartition("\n")
    assert int(status) == retrieved.status == 404, done.stderr
    assert shape(body) == shape(retrieved)


def test_the_failure_text_of_a_retrieve_after_delete_replays_as_the_reports_show_it(
    served: tuple[ResponsesClient, dict[str, Any]],
) -> None:
    """The terminal's (and so JUnit's and Allure's) failure text carries the same sequence the
    page shows, built by the one builder from the same records, and it replays as printed."""
    client, shown = served
    recorder = Recorder(None, "main", "repro")
    recorder.begin("suites/test_lifecycle.py::test_x")
    client.recorder = recorder
    try:
        created = client.create({"model": "gpt-4.1-mini", "input": "Say hello."})
        client.retrieve(created.body["id"])  # every call that touched the id is part of the sequence
        client.delete(created.body["id"])
        retrieved = client.retrieve(created.body["id"])
    finally:
        client.recorder = None
    finding = Finding("lifecycle.deleted", Severity.ERROR, "gone", "/", "rule", retrieved.id)
    text = describe_findings([("openai", finding)], recorder.current, shown)
    test = {"findings": [finding.to_dict()]}
    commands = [entry["curl"] for entry in repro_entries(test, recorder.current, shown)]
    assert len(commands) == 4 and commands[0].startswith("RESP_1=$(")
    assert text.endswith(repro_text(commands)) and "repro (4 calls" in text
    assert with_repro(text, commands) == text  # JUnit and Allure do not print it twice
    script = text.split("run in order in one shell):\n", 1)[1].splitlines()
    earlier = [c if c.startswith("RESP_") else c + " >/dev/null" for c in script[:-1]]
    done = subprocess.run(["bash", "-c", "\n".join([*earlier, script[-1] + " -w '\\n%{http_code}'"])],
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                                            KEY_ENV: KEY}, check=False)
    body, _, status = done.stdout.rpartition("\n")
    assert int(status) == retrieved.status == 404, done.stderr
    assert shape(body) == shape(retrieved)
