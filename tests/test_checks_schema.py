"""The schema.* checks: each fires on a mutated real exchange with a message naming the field,
and the real OpenAI traffic keeps them silent (but for streams that predate the contract)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from respcheck.checks import all_checks, get_check
from respcheck.findings import Finding, Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded

MODULE = "respcheck.checks.schema"

# Spring-2025 OpenAI streams recorded before `sequence_number` (and the text events'
# `logprobs`) existed. The contract requires both, so these stay errors, by name.
PREDATE_SEQUENCE_NUMBER = {
    "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_stream.yml#0",
    "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_stream_without_proc.yml#0",
    "pydantic__pydantic-ai/tests/models/cassettes/test_openai_responses/test_openai_responses_stream.yaml#0",
    "pydantic__pydantic-ai/tests/models/cassettes/test_openai_responses/test_openai_responses_stream.yaml#1",
    "simonw__llm-openai-plugin/tests/cassettes/test_openai/test_async_model.yaml#0",
    "simonw__llm-openai-plugin/tests/cassettes/test_openai/test_async_model_schema.yaml#0",
}


def own_checks():
    return [c for c in all_checks() if getattr(c.func, "__module__", None) == MODULE]


def findings(record: dict, check_id: str, profile: str = "openai") -> list[Finding]:
    return judge(exchange_from_record(record), profile, [get_check(check_id)])


def all_findings(record: dict, profile: str = "openai") -> list[Finding]:
    return judge(exchange_from_record(record), profile)


def errors(record: dict, check_id: str, profile: str = "openai") -> list[Finding]:
    return [f for f in findings(record, check_id, profile) if f.severity is Severity.ERROR]


def openai_record(
    endpoint: str, streaming: bool = False, predicate: Callable[[dict], bool] = lambda r: True
) -> dict:
    return recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == endpoint
            and r["streaming"] == streaming
            and 200 <= r["response"]["status"] < 300
            and r["id"] not in PREDATE_SEQUENCE_NUMBER
            and predicate(r)
        )
    )


def completed_create() -> dict:
    return openai_record("create", predicate=lambda r: r["response"]["body"].get("status") == "completed")


def text_stream() -> dict:
    return openai_record(
        "create",
        streaming=True,
        predicate=lambda r: any(
            isinstance(e["data"], dict) and e["data"].get("type") == "response.output_text.delta"
            for e in r["response"]["events"]
        ),
    )


def events_of(record: dict, event_type: str) -> list[dict]:
    return [
        e["data"]
        for e in record["response"]["events"]
        if isinstance(e["data"], dict) and e["data"].get("type") == event_type
    ]


# --- the ground truth --------------------------------------------------------------------------


def test_the_schema_checks_are_registered() -> None:
    assert {c.id for c in own_checks()} == {
        "schema.response",
        "schema.event",
        "schema.error_body",
        "schema.deleted",
        "schema.input_items_list",
        "schema.input_tokens_result",
        "schema.compact_result",
        "schema.recently_required",
        "schema.open_enum",
    }


def test_real_openai_traffic_has_no_schema_error() -> None:
    checks = own_checks()
    failing = {}
    for ex in recorded.exchanges("openai"):
        found = [f for f in judge(ex, "openai", checks) if f.severity is Severity.ERROR]
        if found:
            failing[ex.id] = [f.message for f in found]
    assert set(failing) == PREDATE_SEQUENCE_NUMBER, failing
    for messages in failing.values():
        assert all("'sequence_number' is missing" in m or "'logprobs' is missing" in m for m in messages)


def test_every_endpoint_kind_of_the_fixtures_is_validated() -> None:
    """The silence above is not vacuous: each body check has real input to judge."""
    endpoints = {ex.endpoint for ex in recorded.exchanges("openai")}
    assert {"create", "retrieve", "delete", "input_items", "input_tokens", "compact"} <= endpoints


# --- schema.response ------------------------------------------------------------------------


def test_response_fires_on_a_missing_required_field() -> None:
    record = completed_create()
    del record["response"]["body"]["output"]
    [finding] = errors(record, "schema.response")
    assert finding.message == "response: required property 'output' is missing"
    assert finding.location == "/response/body"


def test_response_names_the_nested_field_and_its_pointer() -> None:
    record = completed_create()
    del record["response"]["body"]["usage"]["input_tokens_details"]["cached_tokens"]
    [finding] = errors(record, "schema.response")
    assert (
        finding.message == "response.usage.input_tokens_details: required property 'cached_tokens' is missing"
    )
    assert finding.location == "/response/body/usage/input_tokens_details"


def test_response_explains_a_bad_output_item_as_the_type_it_claims() -> None:
    record = completed_create()
    message = next(i for i in record["response"]["body"]["output"] if i["type"] == "message")
    index = record["response"]["body"]["output"].index(message)
    message["content"][0]["text"] = 42
    [finding] = errors(record, "schema.response")
    assert finding.message == f"response.output[{index}].content[0].text: expected string, got integer (42)"
    assert finding.location == f"/response/body/output/{index}/content/0/text"


def test_response_names_an_unknown_item_type() -> None:
    record = completed_create()
    record["response"]["body"]["output"][0]["type"] = "assistant_message"
    [finding] = errors(record, "schema.response")
    assert "unknown type 'assistant_message' (expected one of:" in finding.message
    assert "message" in finding.message


def test_response_checks_the_responses_a_stream_carries() -> None:
    record = text_stream()
    completed = events_of(record, "response.completed")[0]
    completed["response"]["status"] = "done"
    [finding] = errors(record, "schema.response")
    assert finding.message.startswith('response.status: "done" is not one of "completed"')
    assert finding.location.endswith("/data/response/status")
    assert errors(record, "schema.event") == []  # said once, by schema.response


def test_response_under_a_doc_profile_uses_the_documented_table() -> None:
    record = completed_create()
    record["response"]["body"]["usage"]["prompt_tokens"] = "12"
    [finding] = errors(record, "schema.response", "doc:newapi")
    assert finding.message == 'response.usage.prompt_tokens: expected integer, got string ("12")'


# --- schema.event -----------------------------------------------------------------------------


def test_event_fires_on_a_wrongly_typed_field() -> None:
    record = text_stream()
    events_of(record, "response.output_text.delta")[0]["delta"] = 7
    [finding] = errors(record, "schema.event")
    assert finding.message == "response.output_text.delta event: delta: expected string, got integer (7)"
    assert finding.location.endswith("/data/delta")


def test_event_groups_the_same_fault_in_many_events() -> None:
    record = text_stream()
    for e in record["response"]["events"]:
        if isinstance(e["data"], dict):
            e["data"].pop("sequence_number", None)
    found = errors(record, "schema.event")
    assert len(found) == 1
    assert "required property 'sequence_number' is missing" in found[0].message
    assert "events in all" in found[0].message


def test_unknown_response_event_is_a_warning_and_vendor_events_are_allowed() -> None:
    record = text_stream()
    events = record["response"]["events"]
    events.insert(
        1, {"event": "response.output_text.deltas", "data": {"type": "response.output_text.deltas"}}
    )
    events.insert(1, {"event": "openrouter:processing", "data": {"type": "openrouter:processing"}})
    [finding] = findings(record, "schema.event")
    assert finding.severity is Severity.WARNING
    assert "'response.output_text.deltas' is not in the openai contract" in finding.message


# --- bodies of the other endpoints ------------------------------------------------------------


def error_record() -> dict:
    return recorded.first(lambda r: r["provider"] == "openai" and r["response"]["status"] == 400)


def test_error_body_fires_on_a_non_openai_shape() -> None:
    record = error_record()
    record["response"]["body"] = {"detail": "bad request"}
    [finding] = errors(record, "schema.error_body")
    assert finding.message == "error body: required property 'error' is missing"


def test_error_body_names_a_missing_field_of_the_error() -> None:
    record = error_record()
    del record["response"]["body"]["error"]["param"]
    [finding] = errors(record, "schema.error_body")
    assert finding.message == "error body: error: required property 'param' is missing"
    assert finding.location == "/response/body/error"


def test_error_body_under_openresponses_uses_its_error_payload() -> None:
    record = error_record()
    assert errors(record, "schema.error_body", "openresponses") == []
    record["response"]["body"]["error"]["message"] = None
    assert errors(record, "schema.error_body", "openresponses")


@pytest.mark.parametrize(
    ("check_id", "endpoint", "mutate", "expected"),
    [
        (
            "schema.deleted",
            "delete",
            lambda b: b.update(object="response"),
            'deleted object: object: "response" is not one of "response.deleted"',
        ),
        (
            "schema.input_items_list",
            "input_items",
            lambda b: b.pop("data"),
            "input items list: required property 'data' is missing",
        ),
        (
            "schema.input_tokens_result",
            "input_tokens",
            lambda b: b.update(input_tokens="16"),
            'input_tokens result: input_tokens: expected integer, got string ("16")',
        ),
        (
            "schema.compact_result",
            "compact",
            lambda b: b.pop("output"),
            "compaction: required property 'output' is missing",
        ),
    ],
)
def test_endpoint_bodies_fire_on_mutation(check_id: str, endpoint: str, mutate, expected: str) -> None:
    record = openai_record(endpoint)
    assert findings(record, check_id) == []
    mutate(record["response"]["body"])
    [finding] = errors(record, check_id)
    assert finding.message == expected


# --- schema.recently_required -------------------------------------------------------------------


def test_recently_required_reports_a_missing_cache_write_tokens_as_a_warning() -> None:
    record = completed_create()
    assert "cache_write_tokens" not in record["response"]["body"]["usage"]["input_tokens_details"]
    found = [f for f in findings(record, "schema.recently_required") if "cache_write_tokens" in f.message]
    [finding] = found
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith("usage.input_tokens_details: property 'cache_write_tokens' is missing")
    assert "required since 2026-07" in finding.message
    assert finding.location == "/response/body/usage/input_tokens_details"


def test_recently_required_is_silent_when_the_fields_are_there() -> None:
    record = completed_create()
    body = record["response"]["body"]
    body["usage"]["input_tokens_details"]["cache_write_tokens"] = 0
    for item in body["output"]:
        for part in item.get("content") or []:
            if part.get("type") == "output_text":
                part["logprobs"] = []
    assert findings(record, "schema.recently_required") == []


def test_recently_required_counts_repeats_once_per_field() -> None:
    record = text_stream()
    for part in events_of(record, "response.content_part.done"):
        part["part"].pop("logprobs", None)
    found = [f for f in findings(record, "schema.recently_required") if "'logprobs'" in f.message]
    assert len(found) == 1


def test_recently_required_judges_a_type_that_is_not_a_string() -> None:
    record = text_stream()
    events_of(record, "response.output_text.delta")[0]["type"] = ["response.output_text.delta"]
    record["response"]["events"][-1]["data"]["response"]["output"][0]["type"] = {}
    findings(record, "schema.recently_required")  # an unhashable type used to raise TypeError


def test_web_search_action_may_be_missing_only_while_the_call_runs() -> None:
    # The tool-item rule (evolution.ToolItemRule): OpenAI sent action on all 56 finished calls
    # recorded, so a finished call owes it (schema.response, error); a running one does not.
    item = {"id": "ws_1", "type": "web_search_call", "status": "in_progress"}
    record = completed_create()
    record["response"]["body"]["output"].insert(0, dict(item))
    assert not [f for f in all_findings(record) if "'action'" in f.message]
    record["response"]["body"]["output"][0]["status"] = "completed"
    [finding] = [f for f in all_findings(record) if "'action'" in f.message]
    assert finding.check_id == "schema.response" and finding.severity is Severity.ERROR
    assert "required property 'action' is missing" in finding.message


def test_a_tool_item_property_openai_omits_is_a_warning_on_a_finished_item() -> None:
    # shell_call.environment: spec-required, never recorded from OpenAI: a warning, never an error.
    item = {"id": "sh_1", "type": "shell_call", "call_id": "call_1", "status": "in_progress",
            "action": {"commands": ["ls"], "timeout_ms": None, "max_output_length": None}}
    record = completed_create()
    record["response"]["body"]["output"].insert(0, dict(item))
    assert not [f for f in all_findings(record) if "'environment'" in f.message]
    record["response"]["body"]["output"][0]["status"] = "completed"
    [finding] = [f for f in all_findings(record) if "'environment'" in f.message]
    assert finding.check_id == "schema.recently_required" and finding.severity is Severity.WARNING
    assert "shell_call output item: property 'environment' is missing" in finding.message


def test_an_error_code_outside_the_spec_list_is_a_warning_naming_the_spec_version() -> None:
    record = completed_create()
    body = record["response"]["body"]
    body.update(status="failed", error={"code": "insufficient_quota", "message": "quota"}, usage=None)
    body.pop("completed_at", None)
    found = all_findings(record)
    assert not [f for f in found if f.severity is Severity.ERROR], found
    [finding] = [f for f in found if f.check_id == "schema.open_enum"]
    assert finding.severity is Severity.WARNING and "as of v2.3.0" in finding.message
    body["error"]["code"] = "rate_limit_exceeded"
    assert not [f for f in all_findings(record) if f.check_id == "schema.open_enum"]


def test_recently_required_does_not_apply_to_other_profiles() -> None:
    assert findings(completed_create(), "schema.recently_required", "openresponses") == []


# --- other providers: real deviations, readable ---------------------------------------------------


def test_openresponses_profile_names_what_openai_traffic_lacks() -> None:
    record = completed_create()
    # Every problem is listed; there are more than FOLD_AFTER, so they fold into one finding naming each.
    [folded] = errors(record, "schema.response", "openresponses")
    assert "response: required property 'completed_at' is missing" in folded.message


def test_every_schema_problem_of_an_object_is_listed() -> None:
    """Issue 10: three problems per object were shown and the rest hidden."""
    record = completed_create()
    body = record["response"]["body"]
    gone = ["error", "incomplete_details", "instructions", "metadata", "tools", "tool_choice",
            "parallel_tool_calls"]
    for field in gone:
        body.pop(field, None)
    found = errors(record, "schema.response")
    assert sum(f.count for f in found) >= len(gone)
    text = " ".join(f.message for f in found)
    for field in gone:
        assert f"required property '{field}' is missing" in text
