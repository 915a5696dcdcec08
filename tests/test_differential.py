"""Differential checks over a real chain: a forwarding relay (respcheck.relay) in front of a faithful
reference server, with a known fault injected between them or none. A faithful chain is silent; each
injected relay fault is found by the differential check that names it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from respcheck import differential
from respcheck.client import ResponsesClient
from respcheck.config import Target
from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.layer import FaultLayer
from respcheck.relay import ForwardingRelay
from respcheck.scenario import WEATHER_TOOL
from respcheck.server.run import start_server
from tests.test_run import respcheck

AUTH = {"Authorization": "Bearer sk-differential"}
TEXT = {"model": "gpt-4.1-mini", "input": "Count from one to five in words."}
TOOL = {"model": "gpt-4.1-mini", "input": "What's the weather like in Paris?", "tools": [WEATHER_TOOL]}


@contextmanager
def chain(*faults: str) -> Iterator[tuple[str, str]]:
    """(relay URL, upstream URL): the relay forwards to the upstream through the named faults."""
    with start_server() as upstream:
        layer = lambda _app: FaultLayer(ForwardingRelay(upstream.base_url), [CATALOGUE[f] for f in faults])  # noqa: E731
        with start_server(app_wrapper=layer) as relay:
            yield relay.base_url, upstream.base_url


def _client(url: str) -> ResponsesClient:
    return ResponsesClient(Target(name="t", base_url=url, headers=AUTH))


def _diff(fault: str | None, body: dict, stream: bool) -> set[str]:
    with chain(*([fault] if fault else [])) as (relay_url, upstream_url):
        relay, upstream = _client(relay_url), _client(upstream_url)
        found = differential.compare(relay.create({**body, "stream": stream}), upstream.create(
            {**body, "stream": stream}))
    return {f.check_id for f in found}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("body", [TEXT, TOOL], ids=["text", "tool"])
def test_a_faithful_chain_is_silent(body, stream):
    assert _diff(None, body, stream) == set()


@pytest.mark.parametrize(
    ("fault", "body", "stream", "expected"),
    [
        ("final_text_differs", TEXT, True, {"diff.text"}),
        ("content_as_string", TEXT, False, {"diff.text"}),
        ("usage_total_wrong", TEXT, False, {"diff.usage"}),
        ("usage_zero", TEXT, False, {"diff.usage"}),
        ("usage_chat_names", TEXT, False, {"diff.usage"}),
        ("in_progress_after_deltas", TEXT, True, {"diff.events"}),
        ("output_item_added_missing", TEXT, True, {"diff.events"}),
        ("completed_empty_output", TEXT, True, {"diff.text", "diff.items"}),
        ("unknown_id_500", TEXT, False, set()),  # touches only unknown ids: a create is unchanged
    ],
)
def test_an_injected_relay_fault_is_found(fault, body, stream, expected):
    assert _diff(fault, body, stream) == expected


def test_ids_round_trip_through_a_faithful_pass_through():
    with chain() as (relay_url, upstream_url):
        relay, upstream = _client(relay_url), _client(upstream_url)
        created = relay.create({**TEXT, "store": True})
        response_id = created.body["id"]
        retrieved, upstream_has_it = relay.retrieve(response_id), upstream.retrieve(response_id)
        found = differential.id_round_trip(created, retrieved, upstream_has_it)
    assert found == []


def test_a_relay_whose_retrieve_fails_breaks_the_round_trip():
    with chain("retrieve_after_delete_500", "unknown_id_500") as (relay_url, upstream_url):
        relay, upstream = _client(relay_url), _client(upstream_url)
        created = relay.create({**TEXT, "store": True})
        # an id the upstream never minted: what a relay that rewrites ids hands back
        rewritten = created.body["id"].replace("resp_", "resp_relay")
        found = differential.id_round_trip(created, relay.retrieve(rewritten), upstream.retrieve(rewritten))
    assert [f.check_id for f in found] == ["diff.ids", "diff.ids"]


def _run_chain(tmp_path: Path, *faults: str) -> dict:
    tmp_path.mkdir()
    with chain(*faults) as (relay_url, upstream_url):
        (tmp_path / "targets.yaml").write_text(
            f"targets:\n  chain:\n    base_url: {relay_url}\n    upstream: reference\n"
            "    api_key_env: CHAIN_KEY\n    tags: [passthrough]\n"
            "    capabilities: [stream, store, retrieve, function_tools]\n"
        )
        done = respcheck(
            "run", "--target", "chain", "--targets-file", str(tmp_path / "targets.yaml"), "--suite",
            "differential", "--report-dir", str(tmp_path / "r"), cwd=tmp_path,
            env={"RESPCHECK_UPSTREAM_URL": upstream_url, "CHAIN_KEY": "sk-chain"},
        )
    assert (tmp_path / "r" / "summary.json").is_file(), done.stdout + done.stderr
    lines = (tmp_path / "r" / "findings.ndjson").read_text().splitlines()
    return {"exit": done.returncode, "checks": {json.loads(x)["check_id"] for x in lines}}


def test_the_differential_suite_finds_a_relay_fault(tmp_path: Path):
    assert _run_chain(tmp_path / "faulty", "usage_total_wrong") == {"exit": 1, "checks": {"diff.usage"}}


@pytest.mark.slow
def test_the_differential_suite_is_silent_on_a_faithful_chain(tmp_path: Path):
    assert _run_chain(tmp_path / "faithful") == {"exit": 0, "checks": set()}
