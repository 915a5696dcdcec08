"""The Response object's semantic checks: each fires on a mutated real exchange, and the
real OpenAI traffic keeps all of them silent."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respcheck.checks import all_checks, get_check
from respcheck.findings import Finding, Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded
from tests.test_checks_stream import _WEIRD, _paths

MODULE = "respcheck.checks.response"


def own_checks():
    return [c for c in all_checks() if getattr(c.func, "__module__", None) == MODULE]


def findings(record: dict, check_id: str, profile: str = "openai") -> list[Finding]:
    return judge(exchange_from_record(record), profile, [get_check(check_id)])


def json_create(predicate: Callable[[dict], bool] = lambda body: True) -> dict:
    """A real non-streamed OpenAI create whose (completed) Response body satisfies ``predicate``."""
    return recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == "create"
            and not r["streaming"]
            and r["response"]["status"] == 200
            and r["response"]["body"].get("status") == "completed"
            and predicate(r["response"]["body"])
        )
    )


def has_item(kind: str) -> Callable[[dict], bool]:
    return lambda body: any(item.get("type") == kind for item in body.get("output", []))


def item_of(body: dict, kind: str) -> dict:
    return next(item for item in body["output"] if item.get("type") == kind)


def streamed_create() -> dict:
    return recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == "create"
            and r["streaming"]
            and any(
                isinstance(e["data"], dict) and e["data"].get("type") == "response.completed"
                for e in r["response"]["events"]
            )
        )
    )


def event_index(record: dict, event_type: str) -> int:
    events = record["response"]["events"]
    return next(
        i for i, e in enumerate(events) if isinstance(e["data"], dict) and e["data"]["type"] == event_type
    )


# --- ground truth ----------------------------------------------------------------------


def test_real_openai_traffic_has_no_error_finding() -> None:
    checks = own_checks()
    errors = [
        f
        for ex in recorded.exchanges("openai")
        for f in judge(ex, "openai", checks)
        if f.severity is Severity.ERROR
    ]
    assert errors == []


def test_other_providers_real_deviations_are_named() -> None:
    """What the checks say about the non-OpenAI recordings (these are real deviations)."""
    checks = own_checks()
    found = {
        (ex.provider, f.check_id, f.severity)
        for ex in recorded.exchanges(None)
        for f in judge(ex, "openai", checks)
    }
    assert ("aws-bedrock-mantle", "response.created_at", Severity.ERROR) in found  # 1784324967.0
    assert ("deepseek", "response.id", Severity.WARNING) in found  # UUIDs
    assert ("openrouter", "response.id", Severity.WARNING) in found  # gen-...
    assert {p for p, _, s in found if s is Severity.ERROR} <= {"aws-bedrock-mantle"}


# --- identity --------------------------------------------------------------------------


def test_object_must_be_response() -> None:
    r = json_create()
    r["response"]["body"]["object"] = "chat.completion"
    [f] = findings(r, "response.object")
    assert f.check_id == "response.object"
    assert f.location == "/response/body/object"
    assert '"chat.completion"' in f.message


def test_object_judged_in_stream_events_too() -> None:
    r = streamed_create()
    i = event_index(r, "response.created")
    r["response"]["events"][i]["data"]["response"]["object"] = "response.chunk"
    [f] = findings(r, "response.object")
    assert f.location == f"/response/events/{i}/data/response/object"


def test_id_missing_is_an_error_and_foreign_prefix_a_warning() -> None:
    r = json_create()
    r["response"]["body"]["id"] = ""
    [f] = findings(r, "response.id")
    assert (f.check_id, f.severity) == ("response.id", Severity.ERROR)
    r["response"]["body"]["id"] = "chatcmpl-123"
    [f] = findings(r, "response.id")
    assert (f.check_id, f.severity) == ("response.id", Severity.WARNING)
    assert 'does not start with "resp_"' in f.message


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (1741476542.5, "fraction"),
        (1741476542000, "milliseconds"),
        ("1741476542", "a string"),
        (12, "not a plausible creation time"),
    ],
)
def test_created_at_is_integer_seconds(value: object, says: str) -> None:
    r = json_create()
    r["response"]["body"]["created_at"] = value
    [f] = findings(r, "response.created_at")
    assert f.check_id == "response.created_at"
    assert says in f.message


def test_model_present() -> None:
    r = json_create()
    del r["response"]["body"]["model"]
    [f] = findings(r, "response.model")
    assert f.check_id == "response.model"
    assert f.location == "/response/body/model"


# --- status ----------------------------------------------------------------------------


def test_status_outside_the_enum() -> None:
    r = json_create()
    r["response"]["body"]["status"] = "done"
    [f] = findings(r, "response.status")
    assert f.check_id == "response.status"
    assert "completed, failed, in_progress, cancelled, queued, incomplete" in f.message


@pytest.mark.parametrize(
    ("status", "error", "details", "at"),
    [
        ("failed", None, None, "error"),
        ("completed", {"code": "server_error", "message": "boom"}, None, "error"),
        ("incomplete", None, None, "incomplete_details"),
        ("completed", None, {"reason": "max_output_tokens"}, "incomplete_details"),
    ],
)
def test_status_consistency(status: str, error: object, details: object, at: str) -> None:
    r = json_create()
    body = r["response"]["body"]
    body.update(status=status, error=error, incomplete_details=details)
    [f] = findings(r, "response.status_consistency")
    assert f.check_id == "response.status_consistency"
    assert f.location == f"/response/body/{at}"


def test_status_consistency_accepts_the_consistent_pairs() -> None:
    r = json_create()
    body = r["response"]["body"]
    body.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    assert findings(r, "response.status_consistency") == []
    body.update(status="failed", incomplete_details=None, error={"code": "server_error", "message": "x"})
    assert findings(r, "response.status_consistency") == []


def test_failed_terminal_event_without_error() -> None:
    r = streamed_create()
    i = event_index(r, "response.completed")
    r["response"]["events"][i]["data"]["response"]["status"] = "failed"
    [f] = findings(r, "response.status_consistency")
    assert f.location == f"/response/events/{i}/data/response/error"


# --- output items ----------------------------------------------------------------------


def test_output_must_be_an_array_of_typed_items() -> None:
    r = json_create()
    r["response"]["body"]["output"] = "Hello!"
    [f] = findings(r, "response.output.items")
    assert f.check_id == "response.output.items"
    r["response"]["body"]["output"] = [{"role": "assistant", "content": "Hello!"}]
    [f] = findings(r, "response.output.items")
    assert f.location == "/response/body/output/0"


def test_message_content_as_a_string_is_the_chat_shape() -> None:
    r = json_create(has_item("message"))
    item_of(r["response"]["body"], "message")["content"] = "Hello!"
    [f] = findings(r, "response.output.message")
    assert f.check_id == "response.output.message"
    assert "Chat Completions shape" in f.message


def test_message_parts_by_type() -> None:
    r = json_create(has_item("message"))
    message = item_of(r["response"]["body"], "message")
    part = message["content"][0]
    del part["annotations"]
    [f] = findings(r, "response.output.message")
    assert f.location.endswith("/content/0/annotations")
    part["annotations"] = []
    part["type"] = "text"
    [f] = findings(r, "response.output.message")
    assert f.location.endswith("/content/0/type")
    part.update(type="refusal", refusal=None)
    [f] = findings(r, "response.output.message")
    assert f.location.endswith("/content/0/refusal")
    message["content"] = [{"type": "output_text", "text": "hi", "annotations": []}]
    message["role"] = "model"
    [f] = findings(r, "response.output.message")
    assert f.location.endswith("/role")


def test_function_call_arguments_must_parse() -> None:
    r = json_create(has_item("function_call"))
    call = item_of(r["response"]["body"], "function_call")
    call["arguments"] = '{"city": "Par'
    [f] = findings(r, "response.output.function_call")
    assert f.check_id == "response.output.function_call"
    assert "not valid JSON" in f.message
    call["arguments"] = {"city": "Paris"}
    [f] = findings(r, "response.output.function_call")
    assert "JSON *string*" in f.message


def test_function_call_partial_arguments_allowed_while_in_progress() -> None:
    r = json_create(has_item("function_call"))
    body = r["response"]["body"]
    item_of(body, "function_call")["arguments"] = '{"city": "Par'
    body["status"] = "in_progress"
    assert findings(r, "response.output.function_call") == []


def test_function_call_needs_call_id_and_name() -> None:
    r = json_create(has_item("function_call"))
    call = item_of(r["response"]["body"], "function_call")
    del call["call_id"]
    call["name"] = ""
    found = findings(r, "response.output.function_call")
    assert sorted(f.location.rsplit("/", 1)[1] for f in found) == ["call_id", "name"]


def test_reasoning_summary_is_a_list_of_summary_text() -> None:
    r = json_create(has_item("reasoning"))
    reasoning = item_of(r["response"]["body"], "reasoning")
    reasoning["summary"] = "I thought about it"
    [f] = findings(r, "response.output.reasoning")
    assert f.check_id == "response.output.reasoning"
    assert f.location.endswith("/summary")
    reasoning["summary"] = [{"type": "text", "text": "I thought"}]
    [f] = findings(r, "response.output.reasoning")
    assert f.location.endswith("/summary/0")
    reasoning["summary"] = []
    reasoning["content"] = [{"type": "reasoning_text"}]
    [f] = findings(r, "response.output.reasoning")
    assert f.location.endswith("/content/0")


# --- echo ------------------------------------------------------------------------------


def test_rewritten_instructions_are_an_error() -> None:
    r = json_create(lambda body: isinstance(body.get("instructions"), str))
    r["response"]["body"]["instructions"] = "You are RelayBot. " + r["request"]["body"]["instructions"]
    [f] = findings(r, "response.echo")
    assert (f.check_id, f.severity) == ("response.echo", Severity.ERROR)
    assert f.location == "/response/body/instructions"


def test_dropped_previous_response_id_is_a_warning() -> None:
    r = recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == "create"
            and not r["streaming"]
            and (r["request"]["body"] or {}).get("previous_response_id")
        )
    )
    r["response"]["body"]["previous_response_id"] = None
    [f] = findings(r, "response.echo")
    assert (f.check_id, f.severity) == ("response.echo", Severity.WARNING)


def test_max_output_tokens_and_metadata_echo() -> None:
    r = json_create()
    r["request"]["body"]["max_output_tokens"] = 100
    r["response"]["body"]["max_output_tokens"] = 4096
    r["request"]["body"]["metadata"] = {"run": "42"}
    r["response"]["body"]["metadata"] = {}
    found = findings(r, "response.echo")
    assert sorted(f.location for f in found) == [
        "/response/body/max_output_tokens",
        "/response/body/metadata",
    ]


def test_a_wrongly_typed_value_accepted_and_coerced_is_not_an_echo_fault() -> None:
    """Seen on Llama Stack 0.7.3: max_output_tokens "49" accepted and answered as 49. Accepting it is
    the error suite's finding; "set '49' but says 49" would be a false alarm."""
    r = json_create()
    r["request"]["body"]["max_output_tokens"] = "49"
    r["response"]["body"]["max_output_tokens"] = 49
    assert findings(r, "response.echo") == []
    r["request"]["body"]["max_output_tokens"] = 50
    [f] = findings(r, "response.echo")
    assert "max_output_tokens = 50" in f.message


def test_retrieve_answers_the_response_it_was_asked_for() -> None:
    r = recorded.first(
        lambda r: r["provider"] == "openai" and r["endpoint"] == "retrieve" and not r["streaming"]
    )
    assert findings(r, "response.id.round_trip") == []
    r["request"]["path"] = "/v1/responses/resp_someone_else"
    # Issue 11 class 9: the round trip is its own check (response.id judges the id's shape only).
    assert findings(r, "response.id") == []
    [f] = findings(r, "response.id.round_trip")
    assert (f.check_id, f.severity) == ("response.id.round_trip", Severity.ERROR)
    assert "resp_someone_else" in f.message


def test_open_responses_message_allows_its_roles_and_part_types() -> None:
    r = json_create(has_item("message"))
    message = item_of(r["response"]["body"], "message")
    message.update(role="system", content=[{"type": "input_text", "text": "be brief"}])
    assert findings(r, "response.output.message", "openresponses") == []
    assert len(findings(r, "response.output.message", "openai")) == 2  # role and part type
    message["content"] = [{"type": "input_audio", "data": "..."}]
    [f] = findings(r, "response.output.message", "openresponses")
    assert f.location.endswith("/content/0/type")


def test_a_fault_repeated_in_every_stream_response_is_one_finding() -> None:
    r = streamed_create()
    events = r["response"]["events"]
    carriers = [
        e["data"]["response"] for e in events if isinstance(e["data"], dict) and "response" in e["data"]
    ]
    assert len(carriers) == 3  # created, in_progress, completed
    for response in carriers:
        response["created_at"] = 1741476542.5
    [f] = findings(r, "response.created_at")
    assert f.message.endswith("(and 2 more times in this exchange)")
    assert f.location == f"/response/events/{event_index(r, 'response.created')}/data/response/created_at"


def test_completed_at_seconds_after_creation_and_only_when_completed() -> None:
    r = json_create(lambda body: isinstance(body.get("completed_at"), int))
    body = r["response"]["body"]
    body["completed_at"] = body["created_at"] * 1000
    [f] = findings(r, "response.completed_at")
    assert (f.check_id, f.severity) == ("response.completed_at", Severity.ERROR)
    assert "milliseconds" in f.message
    body["completed_at"] = body["created_at"] - 5
    [f] = findings(r, "response.completed_at")
    assert "before created_at" in f.message
    body.update(completed_at=body["created_at"] + 1, status="in_progress")
    [f] = findings(r, "response.completed_at")
    assert f.severity is Severity.WARNING


# -- robustness: any garbage in a JSON body gives findings, never an exception ---------------------

_BODIES = [
    recorded.first(
        lambda r, e=e: not r["streaming"] and r["endpoint"] == e and isinstance(r["response"]["body"], dict)
    )
    for e in ("create", "retrieve", "delete", "input_items")
] + [recorded.first(lambda r: r["response"]["status"] == 400 and isinstance(r["response"]["body"], dict))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_garbled_bodies_never_raise(data_strategy: st.DataObject) -> None:
    record = copy.deepcopy(data_strategy.draw(st.sampled_from(_BODIES)))
    body = record["response"]["body"]
    for _ in range(data_strategy.draw(st.integers(1, 4))):
        paths = list(_paths(body))
        if not paths:
            break
        path = data_strategy.draw(st.sampled_from(paths))
        target = body
        for key in path[:-1]:
            target = target[key]
        if data_strategy.draw(st.booleans()) and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = copy.deepcopy(data_strategy.draw(st.sampled_from([*_WEIRD, 10**13])))
    for profile in ("openai", "openresponses", "doc:newapi"):
        judge(exchange_from_record(record), profile)
