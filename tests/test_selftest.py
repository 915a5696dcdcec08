"""The mutation score: every catalogued fault is caught by its declared check, every benign
variation stays clean, every hostile target ends within its bound.

The selftest runs the real suites under pytest (respcheck.faults.harness); the fast subset (every
fault family, all benign variations) runs by default in one selftest, the rest of the catalogue
with ``--runslow``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from respcheck.checks.registry import all_checks
from respcheck.faults.catalogue import CATALOGUE, by_kind
from respcheck.faults.harness import UnknownScenario, collect_scenarios
from respcheck.faults.registry import STREAM_TEXT
from respcheck.faults.selftest import BASELINE, markdown, run_selftest, score, score_line, select, table
from respcheck.findings import Severity

FAST = select(fast=True)
SLOW = [f for f in CATALOGUE.values() if f not in FAST]
# the honest server under a fault's name: nothing can fire, so the verdict must say so
HARMLESS = replace(CATALOGUE["crlf_framing"], name="harmless_as_a_contract_fault", kind="contract",
                   detected_by="stream.sequence_number.monotonic", scenarios=(STREAM_TEXT,), reply=None)


def _explain(result) -> str:
    lines = [f"{result.fault.name}: {result.verdict} {result.detail}"]
    lines += [f"  {s.nodeid}: {'passed' if s.passed else s.message}" for s in result.scenarios]
    lines += [f"  {f.severity.value} {f.check_id}: {f.message[:160]}" for _, _, f in result.findings]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def fast_run():
    """One selftest of the fast subset (and a fault nothing catches), the baseline over every
    scenario of the catalogue first: fault name -> result."""
    everything = {s for f in CATALOGUE.values() for s in f.scenarios}
    results = run_selftest([*FAST, HARMLESS], baseline_scenarios=everything)
    return {r.fault.name: r for r in results}


@pytest.fixture(scope="module")
def slow_run():
    return {r.fault.name: r for r in run_selftest(SLOW)}


def test_the_faithful_server_is_clean_on_every_scenario(fast_run):
    result = fast_run[BASELINE.name]
    assert result.ok, _explain(result)
    assert not [f for _, _, f in result.findings if f.severity is Severity.ERROR]
    played = {s.nodeid for s in result.scenarios}
    assert len(played) >= len({s for f in CATALOGUE.values() for s in f.scenarios}), played


@pytest.mark.parametrize("fault", FAST, ids=lambda f: f.name)
def test_fast_subset(fast_run, fault):
    result = fast_run[fault.name]
    assert result.ok, _explain(result)


@pytest.mark.slow
@pytest.mark.parametrize("fault", SLOW, ids=lambda f: f.name)
def test_rest_of_the_catalogue(slow_run, fault):
    result = slow_run[fault.name]
    assert result.ok, _explain(result)


def test_fast_subset_spans_every_family():
    families = {f.kind for f in FAST} | {f.detected_by.split(".")[0] for f in FAST if f.detected_by}
    assert {"contract", "transport", "benign"} <= families
    assert {"stream", "sse", "response", "usage", "error", "transport"} <= families
    # behaviour faults (what a request does) name the checks that read the request or the sequence
    assert families & {"lifecycle", "request", "conversation"}


def test_a_transport_result_names_its_cause_and_its_bound(fast_run):
    result = fast_run["hang_before_headers"]
    assert result.ok and result.measured <= CATALOGUE["hang_before_headers"].bound
    assert "timeouts.first_byte" in result.detail
    assert result.exchanges and result.exchanges[0].broken


def test_a_retried_refusal_is_absorbed(fast_run):
    result = fast_run["rate_limited_then_ok"]
    assert result.verdict == "absorbed" and result.detail.startswith("attempt 2"), _explain(result)


def test_the_table_shows_each_verdict(fast_run):
    results = [fast_run["sequence_reset"], fast_run["crlf_framing"]]
    text = table(results)
    assert "sequence_reset" in text and "stream.sequence_number.monotonic" in text and "killed" in text
    assert "crlf_framing" in text and "clean" in text
    assert markdown(results).startswith("| fault | models | declared check | result | time |")
    line = score_line(score([fast_run[BASELINE.name], *results]))
    assert "1/1 contract faults killed" in line and "benign 1/1 clean" in line


def test_a_fault_nothing_catches_is_reported_as_survived(fast_run):
    result = fast_run[HARMLESS.name]
    assert result.verdict == "SURVIVED" and not result.ok
    assert result.scenarios and all(s.passed for s in result.scenarios)


def test_each_fault_runs_the_suite_tests_of_its_scenarios_and_only_those(fast_run):
    """The suites ran under pytest: each result's tests are real suite node ids, with the fault's id."""
    result = fast_run["delete_noop"]
    assert [s.nodeid for s in result.scenarios] == [
        "test_lifecycle.py::test_delete_then_everything_is_404[delete_noop]"
    ]
    streams = [s.nodeid for s in fast_run["sequence_reset"].scenarios]
    assert streams == ["test_streaming.py::test_text_stream[Say hello.-sequence_reset]"]


def test_a_scenario_no_suite_test_declares_is_refused():
    unknown = replace(HARMLESS, name="names_no_test", scenarios=("no_such_scenario",))
    with pytest.raises(UnknownScenario, match="names_no_test: no_such_scenario"):
        run_selftest([unknown])


# -- the catalogue itself ---------------------------------------------------------------------------


def test_catalogue_size_and_kinds():
    assert len(by_kind("contract")) >= 40
    assert len(by_kind("transport")) >= 8
    assert len(by_kind("benign")) >= 8


def test_every_entry_names_a_real_detector_and_real_scenarios():
    check_ids = {c.id for c in all_checks()}
    declared = collect_scenarios()  # scenario name -> the suite tests declaring it, as pytest collects them
    for fault in CATALOGUE.values():
        assert fault.models and fault.scenarios, fault.name
        for scenario in fault.scenarios:
            assert len(declared.get(scenario, [])) == 1, (fault.name, scenario, declared.get(scenario))
        if fault.detected_by is None:
            assert fault.kind in ("benign", "transport"), fault.name
        else:
            assert fault.detected_by in check_ids, f"{fault.name}: unknown check {fault.detected_by}"
        if fault.kind == "transport":
            assert fault.bound is not None, fault.name


# Each bullet of issue 5, by the entries that cover it.
ISSUE_BULLETS = {
    "stream grammar": [
        "created_missing",
        "created_not_first",
        "completed_before_last_delta",
        "output_item_added_missing",
        "content_part_added_missing",
        "in_progress_after_deltas",
        "terminal_duplicated",
        "terminal_missing",
        "upstream_error_as_text",
    ],
    "sequence": [
        "sequence_missing",
        "sequence_from_one",
        "sequence_gap",
        "sequence_duplicate",
        "sequence_reset",
    ],
    "framing": [
        "event_name_mismatch",
        "event_lines_missing",
        "data_not_json",
        "stream_served_as_json",
        "stream_buffered",
    ],
    "assembly": [
        "delta_dropped",
        "done_text_differs",
        "final_text_differs",
        "completed_empty_output",
        "arguments_deltas_differ",
        "item_id_inconsistent",
        "output_index_inconsistent",
        "content_index_inconsistent",
    ],
    "objects": [
        "object_not_response",
        "created_at_milliseconds",
        "created_at_float",
        "required_field_missing",
        "status_complete",
        "completed_with_incomplete_details",
        "max_output_tokens_ignored",
        "content_as_string",
        "annotations_missing",
    ],
    "usage": [
        "usage_chat_names",
        "usage_total_wrong",
        "usage_missing",
        "usage_zero",
        "cached_exceeds_input",
        "reasoning_exceeds_output",
        "usage_details_missing",
    ],
    "behaviour": [
        "previous_response_id_ignored",
        "instructions_dropped",
        "text_format_ignored",
        "store_false_still_retrievable",
        "delete_noop",
        "retrieve_after_delete_cached",
        "retrieve_after_delete_500",
        "unknown_id_500",
        "cancel_noop",
        "background_ignored",
        "tool_choice_required_ignored",
        "function_call_without_call_id",
        "reasoning_summary_dropped",
        "error_detail_body",
        "error_bare_string",
        "auth_401_as_500",
    ],
    "transport": [
        "hang_before_headers",
        "slow_drip",
        "reset_mid_stream",
        "body_50mb",
        "endless_stream",
        "invalid_utf8_stream",
        "rate_limited_then_ok",
        "flapping_503",
    ],
    "benign": [
        "comments_and_keepalives",
        "id_lines",
        "crlf_framing",
        "split_across_chunks",
        "unknown_extra_fields",
        "vendor_prefixed_events",
        "reordered_keys",
        "trailing_done_marker",
    ],
}


@pytest.mark.parametrize("bullet", sorted(ISSUE_BULLETS))
def test_every_bullet_of_the_issue_has_entries(bullet):
    missing = [name for name in ISSUE_BULLETS[bullet] if name not in CATALOGUE]
    assert not missing
