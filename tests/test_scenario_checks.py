"""Every scenario check fires: a suite scenario run against the reference server with one small
fault that breaks what the scenario expects records a finding under that check's id (through
``expect``), and the faithful server draws none.

The scenarios are called as the selftest calls them (``faults.scenarios.cases``), with a
``conforms`` that only judges and an ``expect`` that collects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import strategies as st

from respcheck.client import ResponsesClient
from respcheck.config import reference_target
from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.edits import each_event, on_json, on_request, on_responses, on_stream, text_parts
from respcheck.faults.layer import FaultLayer
from respcheck.faults.model import Fault, Reply
from respcheck.faults.scenarios import _module, cases
from respcheck.findings import Finding
from respcheck.plugin import SuiteModels
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


LIFECYCLE, CREATE = "suites/test_lifecycle.py::", "suites/test_create.py::"
CONVERSATION, ERRORS = "suites/test_conversation.py::", "suites/test_errors.py::"

# check id -> (the scenario, the relay that breaks it)
CASES: dict[str, tuple[str, list[Fault]]] = {
    "scenario.answered": ("suites/test_lifecycle.py::test_retrieve_equals_created",
                          _fault(reply=on_json(_status(404), endpoints=("retrieve",)))),
    "create.answered": ("suites/test_create.py::test_string_input[text-json]",
                        _fault(reply=on_responses(lambda r: r.update(status="failed")))),
    "create.arithmetic": ("suites/test_create.py::test_developer_and_user_messages[json]",
                          _fault(reply=on_responses(_texts("I would rather not say.")))),
    "create.max_output_tokens": (CREATE + "test_tiny_max_output_tokens_is_incomplete[json]",
                                 _fault(reply=on_responses(lambda r: r.update(status="completed",
                                                                              incomplete_details=None)))),
    "create.stream_parity": ("suites/test_create.py::test_stream_and_json_have_the_same_shape",
                             _fault(reply=on_json(lambda reply: reply.body.pop("metadata", None),
                                                  endpoints=("create",), success=True))),
    "conversation.recall": ("suites/test_conversation.py::test_three_turn_chain",
                            [CATALOGUE["previous_response_id_echo_only"]]),
    "conversation.isolation": (CONVERSATION + "test_without_previous_response_id_nothing_is_recalled",
                               _fault(reply=on_responses(_texts("Your favourite colour is teal.")))),
    "lifecycle.unknown_id": (LIFECYCLE + "test_unknown_id_is_404_with_error_shape[retrieve]",
                             _fault(reply=on_json(_status(410, 404)))),
    "lifecycle.malformed_id": (LIFECYCLE + "test_malformed_id_is_a_4xx_not_a_5xx[retrieve]",
                               _fault(reply=on_json(_status(500), endpoints=("retrieve",), success=False))),
    "lifecycle.input_items": ("suites/test_lifecycle.py::test_input_items_list_the_input",
                              _fault(reply=on_json(_body(data=[], has_more=False),
                                                   endpoints=("input_items",)))),
    "background.status": ("suites/test_background.py::test_background_starts_queued_and_finishes",
                          _fault(reply=on_json(_body(status="failed"), endpoints=("retrieve",),
                                               success=True))),
    "background.cancel": ("suites/test_background.py::test_cancel_of_foreground_response_is_an_error",
                          _fault(reply=on_json(_status(200), endpoints=("cancel",)))),
    "tools.round_trip": ("suites/test_tools.py::test_function_call_output_inline_round_trip",
                         _fault(reply=on_responses(_texts("")))),
    "reasoning.answered": ("suites/test_reasoning.py::test_summary_items_when_asked[auto]",
                           [CATALOGUE["reasoning_summary_dropped"]]),
    "streaming.events": ("suites/test_streaming.py::test_stream_options_include_obfuscation[False]",
                         _fault(reply=on_stream(each_event(lambda d: d.update(obfuscation="xyz"),
                                                           "response.output_text.delta")))),
    "input_tokens.grows": ("suites/test_inputs.py::test_input_tokens_counts",
                           _fault(reply=on_json(_body(input_tokens=5), endpoints=("input_tokens",)))),
    "errors.refused": ("suites/test_errors.py::test_unknown_model_is_an_error",
                       _fault(request=on_request(lambda body: body.update(model="gpt-4.1-mini")))),
    "errors.no_5xx": (ERRORS + "test_empty_input_list_with_no_conversation_is_an_error_or_answered",
                      _fault(reply=on_json(_status(500, 400), endpoints=("create",)))),
}


def _run(selector: str, faults: list[Fault], call: Callable[..., None] | None = None) -> set[str]:
    """The check ids the scenario's expectations recorded against a server with ``faults``."""
    server = start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, faults))
    target = replace(reference_target().with_base_url(server.base_url), api_key_env=KEY_ENV)
    found: list[Finding] = []
    expect = Expect(record=found.append, skip=pytest.skip)
    try:
        with ResponsesClient(target, environ={KEY_ENV: KEY}) as client:
            fixtures = {"client": client, "models": SuiteModels.of(target), "conforms": lambda ex: ex,
                        "expect": expect}
            for case in cases(selector) if call is None else []:
                try:
                    case(**fixtures)
                except ScenarioStopped as stopped:
                    found.append(stopped.finding)
            if call is not None:
                call(**fixtures)
    finally:
        server.stop()
    return {f.check_id for f in found}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_each_scenario_check_fires_when_its_expectation_is_broken(check_id: str) -> None:
    selector, faults = CASES[check_id]
    assert check_id in _run(selector, faults)
    assert _run(selector, []) == set()  # and the faithful server draws nothing


def test_generated_accepted_fires_on_a_valid_request_answered_4xx() -> None:
    generated = _module("suites/test_generated.py")
    refused = _fault(reply=on_json(_status(400), endpoints=("create",)))
    body = st.just({"model": "gpt-4.1-mini", "input": "hi"})

    def check_all(client: Any, conforms: Any, expect: Any, **_: Any) -> None:
        generated._check_all(client, conforms, expect, body)

    assert "generated.accepted" in _run("", refused, check_all)
    assert _run("", [], check_all) == set()
