"""The one fault registry: ``CATALOGUE`` (name -> ``Fault``), the ``contract`` / ``transport`` /
``benign`` constructors each catalogue module (``respcheck.faults.catalogue``) registers its entries
with, and the scenario names a fault is run against.

A scenario name is declared on the suite test that plays it (``@pytest.mark.scenario("stream_text",
prompt="Say hello.")``: the keyword arguments pick parametrisations); the selftest runs every test
carrying a fault's scenario names.
"""

from __future__ import annotations

from typing import Any

from respcheck.faults.model import Fault

# -- the scenarios faults are run against (suite tests; "[id]" picks one parametrisation) -----------

STREAM_TEXT = "suites/test_streaming.py::test_text_stream[Say hello.]"
STREAM_FUNCTION = "suites/test_streaming.py::test_function_call_stream"
STREAM_REASONING = "suites/test_streaming.py::test_reasoning_summary_stream"
STREAM_SEQUENCE = "suites/test_streaming.py::test_sequence_numbers_count_from_zero"
CREATE_JSON = "suites/test_create.py::test_string_input[text-json]"
CREATE_SSE = "suites/test_create.py::test_string_input[text-sse]"
TINY_MAX_JSON = "suites/test_create.py::test_tiny_max_output_tokens_is_incomplete[json]"
INSTRUCTIONS_JSON = "suites/test_create.py::test_instructions_are_echoed[json]"
REASONING_TOKENS = "suites/test_reasoning.py::test_reasoning_tokens_are_counted"
REASONING_SUMMARY = "suites/test_reasoning.py::test_summary_items_when_asked[auto]"
RECALL = "suites/test_conversation.py::test_fact_is_recalled_in_turn_two"
RECALL_JSON = RECALL + "[*teal-json]"
STRUCTURED = "suites/test_structured.py::test_json_schema_strict_output_validates[person-json]"
STORE_FALSE = "suites/test_lifecycle.py::test_store_false_is_not_retrievable"
DELETE = "suites/test_lifecycle.py::test_delete_then_everything_is_404"
UNKNOWN_ID = "suites/test_lifecycle.py::test_unknown_id_is_404_with_error_shape[retrieve]"
INPUT_ITEMS = "suites/test_lifecycle.py::test_input_items_list_the_input"
CANCEL = "suites/test_background.py::test_cancel_while_running"
BACKGROUND_DONE = "suites/test_background.py::test_background_starts_queued_and_finishes"
RETRIEVE_EQUALS = "suites/test_lifecycle.py::test_retrieve_equals_created"
TOOL_REQUIRED = "suites/test_tools.py::test_tool_choice_required_calls_a_function[json]"
NO_KEY = "suites/test_errors.py::test_no_key_is_401"

# Benign variations run against a stream of each kind and a plain JSON answer.
BENIGN_SCENARIOS = (STREAM_TEXT, STREAM_FUNCTION, STREAM_REASONING, STREAM_SEQUENCE, CREATE_JSON, UNKNOWN_ID)

CATALOGUE: dict[str, Fault] = {}


def entry(fault: Fault) -> Fault:
    if fault.name in CATALOGUE:
        raise ValueError(f"fault {fault.name!r} defined twice")
    CATALOGUE[fault.name] = fault
    return fault


# ``options`` are the other ``Fault`` fields: the hooks, ``profiles``, ``fast``.


def contract(
    name: str, models: str, detected_by: str, scenarios: tuple[str, ...] = (STREAM_TEXT,), **options: Any
) -> Fault:
    return entry(Fault(name, models, "contract", detected_by, scenarios, **options))


def transport(
    name: str, models: str, detected_by: str | None, scenarios: tuple[str, ...], bound: float, **options: Any
) -> Fault:
    """``detected_by`` None: a transient refusal the client must absorb by retrying."""
    return entry(Fault(name, models, "transport", detected_by, scenarios, bound=bound, **options))


def benign(name: str, models: str, scenarios: tuple[str, ...] = BENIGN_SCENARIOS, **options: Any) -> Fault:
    return entry(Fault(name, models, "benign", None, scenarios, **options))



def by_kind(kind: str) -> list[Fault]:
    return [f for f in CATALOGUE.values() if f.kind == kind]
