"""Issue 11: one fixture per class, built from a real recording (tests/fixtures/cases/make.py).

Classes 1-5 are shapes real OpenAI traffic has: no error finding, and the stated remark at
its severity. Classes 6-13 are relay faults: the named check fires at its severity. Each
case file is judged the way ``respcheck replay`` judges it: per exchange, and as one sequence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from respcheck.findings import Finding, Severity
from respcheck.judge import judge_recording
from respcheck.replay.load import LoadError, load_file
from tests.fixtures.cases import make

CASES = Path(make.__file__).resolve().parent
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# case file -> {(exchange number, check id, severity)} that must be found. For classes 1-5 these
# are the only findings above info allowed besides the fixtures' usual warnings (ALWAYS_WARNED).
EXPECTED: dict[str, set[tuple[int, str, Severity]]] = {
    "class01_vcr_without_headers.yaml": {(0, "stream.content_type", INFO)},
    "class02_truncated_function_call.jsonl": set(),
    "class03_nested_error_event.jsonl": {(0, "stream.error_event", WARNING)},
    "class04_unlisted_error_code.jsonl": {(0, "schema.open_enum", WARNING)},
    "class05_tool_items.jsonl": {(0, "schema.recently_required", WARNING)},
    "class06_output_item_done_dropped.jsonl": {(0, "stream.item.order", ERROR)},
    "class07_truncation_as_success.jsonl": {
        (0, "response.status_consistency", ERROR),
        (1, "response.status_consistency", ERROR),
    },
    "class08_unrequested_stream.jsonl": {(0, "stream.unrequested", ERROR)},
    "class09_ids_do_not_round_trip.jsonl": {
        (0, "response.id.round_trip", ERROR),
        (1, "response.id.round_trip", ERROR),
        (2, "response.id.round_trip", ERROR),
    },
    "class10_flags_ignored.jsonl": {
        (0, "request.background", ERROR),
        (2, "lifecycle.store_false", ERROR),
        (3, "usage.max_output_tokens", ERROR),
        (4, "stream.content_type", ERROR),
    },
    "class11_completed_at_the_limit.jsonl": {(0, "usage.at_limit", WARNING)},
    "class12_model_changes.jsonl": {(0, "lifecycle.model", ERROR), (2, "lifecycle.model", ERROR)},
    "class13_cancel_refused.jsonl": {(1, "lifecycle.cancel", ERROR)},
}
# What the recordings the cases are built from already say (spec evolution), on every case.
ALWAYS_WARNED = {"schema.recently_required"}


def judged(name: str) -> dict[int, list[Finding]]:
    exchanges = list(load_file(CASES / name))
    assert not [e for e in exchanges if isinstance(e, LoadError)], exchanges
    found = judge_recording(exchanges, "openai")
    return {number: found[ex.id] for number, ex in enumerate(exchanges)}


def test_every_class_has_a_case() -> None:
    assert set(EXPECTED) == set(make.CASES)
    assert sorted(int(name[5:7]) for name in EXPECTED) == list(range(1, 14))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_committed_case_is_what_make_builds(name: str) -> None:
    assert (CASES / name).read_text(encoding="utf-8") == make.render(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_verdict(name: str) -> None:
    found = {
        (number, f.check_id, f.severity)
        for number, findings in judged(name).items()
        for f in findings
        if f.severity is not INFO or f.check_id == "stream.content_type"
    }
    assert EXPECTED[name] <= found, found
    real_openai_shape = int(name[5:7]) <= 5
    if real_openai_shape:  # silent but for the stated remark (and the recordings' own warnings)
        extra = {f for f in found - EXPECTED[name] if f[1] not in ALWAYS_WARNED or f[2] is ERROR}
        assert extra == set(), extra
    else:  # the fault is reported by its check, once per exchange, and by no other error
        errors = {f for f in found if f[2] is ERROR}
        assert errors <= EXPECTED[name], errors - EXPECTED[name]


def test_class6_message_names_the_clients_it_breaks() -> None:
    [finding] = [
        f for f in judged("class06_output_item_done_dropped.jsonl")[0] if f.check_id == "stream.item.order"
    ]
    assert "Vercel AI SDK" in finding.message and "Agents SDK" in finding.message


def test_class13_says_the_response_ran_to_completion() -> None:
    [finding] = [f for f in judged("class13_cancel_refused.jsonl")[1] if f.check_id == "lifecycle.cancel"]
    assert "ran to completion" in finding.message and "409" in finding.message


def test_class5_tool_item_warning_names_the_property_and_never_the_running_snapshot() -> None:
    [finding] = [f for f in judged("class05_tool_items.jsonl")[0] if "'environment'" in f.message]
    assert finding.check_id == "schema.recently_required"
    assert not [f for f in judged("class05_tool_items.jsonl")[0] if "'result'" in f.message]


def test_class1_each_format_tells_a_header_not_recorded_from_one_not_sent() -> None:
    from respcheck.replay import har
    from respcheck.replay.jsonl import exchange_from_record, exchange_to_record

    rec = {"id": "x", "request": {"method": "POST", "path": "/v1/responses"}, "response": {"status": 200}}
    assert exchange_from_record(rec).headers_recorded is False
    rec["response"]["content_type"] = None  # recorded: none was sent
    assert exchange_from_record(rec).headers_recorded is True
    unrecorded = exchange_from_record({**rec, "response": {"status": 200}})
    assert "content_type" not in exchange_to_record(unrecorded)["response"]
    entry = {
        "request": {"method": "POST", "url": "https://api.openai.com/v1/responses", "headers": []},
        "response": {"status": 200, "headers": [], "content": {"text": "data: {}\n\n"}},
    }
    assert har.entry_to_exchange(entry, "h").headers_recorded is False
    entry["response"]["content"]["mimeType"] = "text/event-stream"
    assert har.entry_to_exchange(entry, "h").headers_recorded is True


def test_class3_open_responses_documents_the_nested_error_event_and_keeps_it_required() -> None:
    from respcheck.profiles import get_profile

    nested = judged("class03_nested_error_event.jsonl")[0][-1]  # judged under openai: silent
    assert nested.severity is not ERROR
    validator = get_profile("openresponses").validator("events/error")
    assert validator is not None
    payload = {"type": "t", "code": None, "message": "m", "param": None}
    event = {"type": "error", "sequence_number": 2, "error": payload}
    assert validator.is_valid(event)
    flat = {"type": "error", "sequence_number": 2, "code": None, "message": "m", "param": None}
    assert not validator.is_valid(flat)
    assert get_profile("openai").validator("events/error").is_valid(flat)
