"""The reference speaks the wire form of the profile it is judged by (issue 15).

Under ``openresponses`` a Responses stream ends with ``data: [DONE]``; under ``openai`` it has
none; under ``doc:newapi`` usage carries New API's Chat-style names too, and background (whose
``queued`` / ``cancelled`` New API's status table lacks) is reported unsupported. The suites run
against the embedded reference once per shipped profile and once per shipped target's list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from respcheck.config import load_targets
from respcheck.profiles import PROFILES
from respcheck.server.run import start_server
from respcheck.server.wire import wire_form
from tests.test_run import REPO, respcheck
from tests.test_server_support import KEY, client_for, errors_of

STREAM = {"model": "gpt-4o-mini", "input": "Say hello.", "stream": True}


def shipped_profile_lists() -> list[str]:
    """Every profile alone, then every list a shipped target uses (``doc:newapi,openai``)."""
    lists = list(PROFILES)
    for target in load_targets(REPO / "targets.yaml").targets.values():
        joined = ",".join(target.profiles)
        if joined not in lists:
            lists.append(joined)
    return lists


def stream_lines(client: httpx.Client, path: str, body: dict | None = None) -> list[str]:
    answer = client.get(path) if body is None else client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return [line for line in answer.text.split("\n") if line]


@pytest.fixture(params=["openai", "openresponses"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, httpx.Client]]:
    with start_server(api_key=KEY, profile=request.param) as server, client_for(server) as client:
        yield request.param, client


def test_done_marker_ends_every_responses_stream_only_under_openresponses(served) -> None:
    profile, client = served
    created = stream_lines(client, "/responses", STREAM)
    response_id = json.loads(created[1].removeprefix("data: "))["response"]["id"]
    replayed = stream_lines(client, f"/responses/{response_id}?stream=true")
    for lines in (created, replayed):
        data = [line for line in lines if line.startswith("data: ")]
        named = [line for line in lines if line.startswith("event: ")]
        if profile == "openresponses":
            assert data[-1] == "data: [DONE]" and data.count("data: [DONE]") == 1
            assert len(named) == len(data) - 1  # every event but the marker carries its event: line
        else:
            assert "data: [DONE]" not in data
            assert len(named) == len(data)


def test_chat_completions_keep_their_own_done_marker(served) -> None:
    _, client = served
    lines = stream_lines(client, "/chat/completions", {"model": "gpt-4o-mini", "stream": True,
                                                      "messages": [{"role": "user", "content": "hi"}]})
    assert lines[-1] == "data: [DONE]" and lines.count("data: [DONE]") == 1


def test_newapi_usage_carries_both_name_sets_and_stays_consistent() -> None:
    from tests.test_server_support import send

    with start_server(api_key=KEY, profile="doc:newapi") as server, client_for(server) as client:
        exchange = send(client, "POST", "/responses", {"model": "gpt-4o-mini", "input": "Say hello."})
    usage = exchange.body["usage"]
    assert usage["prompt_tokens"] == usage["input_tokens"] > 0
    assert usage["completion_tokens"] == usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    from respcheck.judge import judge

    assert not errors_of(judge(exchange, "doc:newapi"))
    assert not [f for f in judge(exchange, "doc:newapi") if f.check_id == "usage.names"]


def test_wire_forms_of_the_shipped_profiles() -> None:
    assert wire_form("openai").done_marker is False
    assert wire_form("openresponses").done_marker is True
    assert wire_form("doc:newapi").chat_usage_names is True
    assert wire_form("doc:newapi,openai").chat_usage_names is False  # openai would call them an error
    assert "background" in wire_form("doc:newapi,openai").unserved
    assert wire_form("doc:12ai,openai").unserved == {}


def test_serve_refuses_an_unknown_profile_in_one_line() -> None:
    result = respcheck("serve", "--port", "0", "--profile", "openresponse", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "openresponse" in result.stderr


@pytest.mark.parametrize("profiles", shipped_profile_lists())
def test_suites_pass_against_the_reference_under_each_shipped_profile(tmp_path: Path, profiles: str) -> None:
    result = respcheck("run", "--profile", profiles, "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["totals"].get("failed", 0) == 0
    unserved = wire_form(profiles).unserved
    junit = (tmp_path / "r" / "junit.xml").read_text()
    for reason in unserved.values():  # a profile the reference can not serve says why, per scenario
        assert reason.replace("'", "&apos;") in junit or reason in junit
