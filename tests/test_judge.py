"""judge: one fault, one finding (a schema finding a semantic error explains is its evidence),
and the sequence checks judged over one scenario."""

from __future__ import annotations

from respcheck.findings import Severity
from respcheck.judge import judge, judge_latest, judge_recording, judge_sequence
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded

DELETE = "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_delete.yml#0"
JSON_CREATE = "simonw__llm/tests/cassettes/test_openai_responses/test_responses_basic_non_streaming.yaml#0"
BACKGROUND = (
    "pydantic__pydantic-ai/tests/models/cassettes/test_openai_responses/"
    "test_background_mode_vcr.yaml"
)


def test_a_broken_delete_body_is_one_finding_with_the_schema_finding_as_evidence() -> None:
    rec = recorded.record(DELETE)
    rec["response"]["body"]["deleted"] = "true"
    found = judge(exchange_from_record(rec))
    assert [f.check_id for f in found if f.severity is Severity.ERROR] == ["delete.result"]
    [finding] = [f for f in found if f.check_id == "delete.result"]
    assert any(e.startswith("schema.deleted:") for e in finding.evidence)
    assert finding.to_dict()["evidence"] == list(finding.evidence)


def test_chat_style_usage_is_counted_once() -> None:
    rec = recorded.record(JSON_CREATE)
    usage = rec["response"]["body"]["usage"]
    rec["response"]["body"]["usage"] = {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    errors = [f for f in judge(exchange_from_record(rec)) if f.severity is Severity.ERROR]
    assert [f.check_id for f in errors] == ["usage.names"], errors
    assert errors[0].evidence


def test_a_schema_fault_no_semantic_check_explains_stays_a_finding() -> None:
    rec = recorded.record(JSON_CREATE)
    del rec["response"]["body"]["tools"]
    assert "schema.response" in {f.check_id for f in judge(exchange_from_record(rec))}


def test_findings_without_evidence_serialise_as_before() -> None:
    rec = recorded.record(DELETE)
    rec["response"]["body"]["object"] = "response"
    [finding] = [f for f in judge(exchange_from_record(rec)) if f.check_id == "delete.result"]
    assert "evidence" not in finding.to_dict() or finding.evidence


def test_sequence_checks_run_only_in_judge_sequence() -> None:
    exchanges = [exchange_from_record(recorded.record(f"{BACKGROUND}#{i}")) for i in range(3)]
    assert judge_sequence(exchanges) == []  # a real background cassette: silent
    retrieve = exchanges[2]
    retrieve.body["model"] = "gpt-relay-other"
    [finding] = judge_sequence(exchanges)
    assert finding.check_id == "lifecycle.model" and finding.exchange_id == retrieve.id
    assert "lifecycle.model" not in {f.check_id for f in judge(retrieve)}
    assert [f.check_id for f in judge_recording(exchanges)[retrieve.id] if f.check_id == "lifecycle.model"]
    # Live: reported once, when the exchange that shows it arrives.
    assert judge_latest(exchanges[:2]) == []
    assert [f.check_id for _, f in judge_latest(exchanges)] == ["lifecycle.model"]
