"""Every scenario check fires: a suite scenario run against the reference server with one small
fault that breaks what the scenario expects records a finding under that check's id (through
``expect``), and the faithful server draws none.

Each case is a fault of its own, run by the selftest's harness: the suite test that declares the
case's scenario name runs under pytest with the fault switched on, and the findings are read
from the run's events.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st

from respcheck.client import ResponsesClient
from respcheck.config import reference_target
from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.edits import each_event, on_json, on_request, on_responses, on_stream, text_parts
from respcheck.faults.layer import FaultLayer
from respcheck.faults.model import Fault, Reply
from respcheck.faults.selftest import BASELINE, FaultResult, run_selftest
from respcheck.findings import Finding
from respcheck.resources import suites_root
from respcheck.scenario import Expect, ScenarioStopped
from respcheck.server.run import start_server

KEY_ENV, KEY = "RESPCHECK_SCENARIO_CHECKS_KEY", "sk-respcheck-scenario-checks"


def _fault(**hooks: Any) -> list[Fault]:
    return [Fault("scenario-check-case", "a relay that breaks the scenario", "contract", None, (), **hooks)]


def _texts(text: str) -> Callable[[dict[str, Any]], None]:
    def edit(response: dict[str, Any]) -> None:
        for part in text_parts(response):
            part["text"] = text

    return edit


def _status(new: int, old: int | None = None) -> Callable[[Reply], None]:
    def edit(reply: Reply) -> None:
        if old is None or reply.status == old:
            reply.status = new

    return edit


def _body(**fields: Any) -> Callable[[Reply], None]:
    def edit(reply: Reply) -> None:
        if isinstance(reply.body, dict):
            reply.body.update(fields)

    return edit


# check id -> (the scenario name the suite test declares, the relay that breaks it)
CASES: dict[str, tuple[str, list[Fault]]] = {
    "scenario.answered": ("retrieve_equals_created",
                          _fault(reply=on_json(_status(404), endpoints=("retrieve",)))),
    "create.answered": ("create_text_json",
                        _fault(reply=on_responses(lambda r: r.update(status="failed")))),
    "create.arithmetic": ("developer_and_user_json",
                          _fault(reply=on_responses(_texts("I would rather not say.")))),
    "create.max_output_tokens": ("tiny_max_output_tokens_json",
                                 _fault(reply=on_responses(lambda r: r.update(status="completed",
                                                                              incomplete_details=None)))),
    "create.stream_parity": ("stream_and_json_parity",
                             _fault(reply=on_json(lambda reply: reply.body.pop("metadata", None),
                                                  endpoints=("create",), success=True))),
    "conversation.recall": ("three_turn_chain",
                            [CATALOGUE["previous_response_id_echo_only"]]),
    "conversation.isolation": ("no_previous_response_id",
                               _fault(reply=on_responses(_texts("Your favourite colour is teal.")))),
    "lifecycle.unknown_id": ("unknown_id_retrieve",
                             _fault(reply=on_json(_status(410, 404)))),
    "lifecycle.malformed_id": ("malformed_id_retrieve",
                               _fault(reply=on_json(_status(500), endpoints=("retrieve",), success=False))),
    "lifecycle.input_items": ("input_items",
                              _fault(reply=on_json(_body(data=[], has_more=False),
                                                   endpoints=("input_items",)))),
    "background.status": ("background_finishes",
                          _fault(reply=on_json(_body(status="failed"), endpoints=("retrieve",),
                                               success=True))),
    "background.cancel": ("cancel_foreground",
                          _fault(reply=on_json(_status(200), endpoints=("cancel",)))),
    "tools.round_trip": ("function_call_output_round_trip",
                         _fault(reply=on_responses(_texts("")))),
    "reasoning.answered": ("reasoning_summary_auto",
                           [CATALOGUE["reasoning_summary_dropped"]]),
    "streaming.events": ("stream_without_obfuscation",
                         _fault(reply=on_stream(each_event(lambda d: d.update(obfuscation="xyz"),
                                                           "response.output_text.delta")))),
    "input_tokens.grows": ("input_tokens_count",
                           _fault(reply=on_json(_body(input_tokens=5), endpoints=("input_tokens",)))),
    "errors.refused": ("unknown_model",
                       _fault(request=on_request(lambda body: body.update(model="gpt-4.1-mini")))),
    "errors.no_5xx": ("empty_input_list",
                      _fault(reply=on_json(_status(500, 400), endpoints=("create",)))),
}


def _breaking(check_id: str) -> Fault:
    """The case as a fault of its own, named after the check that must fire, run on its scenario."""
    scenario, (relay,) = CASES[check_id]
    return replace(relay, name="breaks_" + check_id.replace(".", "_"), kind="contract", detected_by=check_id,
                   scenarios=(scenario,), profiles=("openai",))


@pytest.fixture(scope="module")
def selftest() -> dict[str, FaultResult]:
    """Every case in one selftest (the real suite tests under pytest), the faithful baseline first."""
    return {r.fault.name: r for r in run_selftest([_breaking(c) for c in CASES])}


def _fired(result: FaultResult) -> set[str]:
    return {f.check_id for _, _, f in result.findings}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_each_scenario_check_fires_when_its_expectation_is_broken(
    selftest: dict[str, FaultResult], check_id: str
) -> None:
    assert check_id in _fired(selftest[_breaking(check_id).name])


def test_the_faithful_server_draws_no_scenario_check(selftest: dict[str, FaultResult]) -> None:
    baseline = selftest[BASELINE.name]
    assert baseline.ok and len(baseline.scenarios) == len({s for s, _ in CASES.values()})
    assert not _fired(baseline) & set(CASES)


def _call(faults: list[Fault], call: Callable[..., None]) -> set[str]:
    """The check ids ``call``'s expectations recorded against a server with ``faults``."""
    server = start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, faults))
    target = replace(reference_target().with_base_url(server.base_url), api_key_env=KEY_ENV)
    found: list[Finding] = []
    expect = Expect(record=found.append, skip=pytest.skip)
    try:
        with ResponsesClient(target, environ={KEY_ENV: KEY}) as client:
            try:
                call(client=client, conforms=lambda ex: ex, expect=expect)
            except ScenarioStopped as stopped:
                found.append(stopped.finding)
    finally:
        server.stop()
    return {f.check_id for f in found}


def _generated_suite() -> ModuleType:
    """The generated suite's module, for one of its helpers (its tests draw from hypothesis)."""
    path = suites_root() / "test_generated.py"
    spec = importlib.util.spec_from_file_location("respcheck_generated_suite", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_accepted_fires_on_a_valid_request_answered_4xx() -> None:
    generated = _generated_suite()
    refused = _fault(reply=on_json(_status(400), endpoints=("create",)))
    body = partial(st.just, {"model": "gpt-4.1-mini", "input": "hi"})  # a recipe: the drawer builds it

    def check_all(client: Any, conforms: Any, expect: Any) -> None:
        generated._check_all(client, conforms, expect, body)

    assert "generated.accepted" in _call(refused, check_all)
    assert _call([], check_all) == set()
