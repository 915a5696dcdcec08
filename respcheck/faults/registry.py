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

# -- the scenarios faults are run against: names declared on suite tests (@pytest.mark.scenario) ------

STREAM_TEXT = "stream_text"
STREAM_FUNCTION = "stream_function_call"
STREAM_REASONING = "stream_reasoning_summary"
STREAM_SEQUENCE = "stream_sequence_numbers"
CREATE_JSON = "create_text_json"
TINY_MAX_JSON = "tiny_max_output_tokens_json"
INSTRUCTIONS_JSON = "instructions_json"
REASONING_TOKENS = "reasoning_tokens"
REASONING_SUMMARY = "reasoning_summary_auto"
RECALL_JSON = "recall_json"
STRUCTURED = "structured_person_json"
STORE_FALSE = "store_false"
DELETE = "delete_then_retrieve"
UNKNOWN_ID = "unknown_id_retrieve"
INPUT_ITEMS = "input_items"
CANCEL = "cancel_while_running"
BACKGROUND_DONE = "background_finishes"
RETRIEVE_EQUALS = "retrieve_equals_created"
TOOL_REQUIRED = "tool_choice_required_json"
NO_KEY = "no_key"

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
