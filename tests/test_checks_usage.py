"""Usage checks: each fires on a mutated real exchange; real OpenAI traffic keeps them silent;
the doc:newapi profile judges the Chat-style names its page publishes."""

from __future__ import annotations

import pytest

from respcheck.checks import all_checks, get_check
from respcheck.findings import Finding, Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded

MODULE = "respcheck.checks.usage"


def own_checks():
    return [c for c in all_checks() if getattr(c.func, "__module__", None) == MODULE]


def findings(record: dict, check_id: str, profile: str = "openai") -> list[Finding]:
    return judge(exchange_from_record(record), profile, [get_check(check_id)])


def json_create() -> dict:
    """A real non-streamed, completed OpenAI create with reasoning tokens and cached-token details."""
    return recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == "create"
            and not r["streaming"]
            and r["response"]["body"].get("status") == "completed"
            and r["response"]["body"]["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
        )
    )


def usage_of(record: dict) -> dict:
    return record["response"]["body"]["usage"]


def to_chat_names(usage: dict) -> dict:
    """The usage block a Chat Completions-minded relay sends."""
    return {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
        "prompt_tokens_details": usage["input_tokens_details"],
        "completion_tokens_details": usage["output_tokens_details"],
    }


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


def test_every_real_provider_reports_usage_consistently() -> None:
    """None of the recorded servers (OpenAI or not) gets usage arithmetic wrong."""
    checks = own_checks()
    assert [f for ex in recorded.exchanges(None) for f in judge(ex, "openai", checks)] == []


def test_under_newapi_real_traffic_only_warns_about_names() -> None:
    checks = own_checks()
    found = {
        (f.check_id, f.severity)
        for ex in recorded.exchanges("openai")
        for f in judge(ex, "doc:newapi", checks)
    }
    assert found == {("usage.names", Severity.WARNING)}


# --- presence and names ----------------------------------------------------------------


def test_completed_response_without_usage() -> None:
    r = json_create()
    r["response"]["body"]["usage"] = None
    [f] = findings(r, "usage.present")
    assert f.check_id == "usage.present"
    assert f.location == "/response/body/usage"


def test_usage_absent_from_terminal_stream_event() -> None:
    r = recorded.first(lambda r: r["provider"] == "openai" and r["endpoint"] == "create" and r["streaming"])
    events = r["response"]["events"]
    i = next(
        i
        for i, e in enumerate(events)
        if isinstance(e["data"], dict) and e["data"]["type"] == "response.completed"
    )
    del events[i]["data"]["response"]["usage"]
    [f] = findings(r, "usage.present")
    assert f.location == f"/response/events/{i}/data/response/usage"


def test_in_progress_response_needs_no_usage() -> None:
    r = json_create()
    r["response"]["body"].update(status="in_progress", usage=None)
    assert findings(r, "usage.present") == []


def test_chat_names_are_named_as_such() -> None:
    r = json_create()
    r["response"]["body"]["usage"] = to_chat_names(usage_of(r))
    [f] = findings(r, "usage.names")
    assert (f.check_id, f.severity) == ("usage.names", Severity.ERROR)
    assert f.message.startswith(
        "usage uses Chat Completions names prompt_tokens/completion_tokens; "
        "the Responses API names them input_tokens/output_tokens"
    )
    assert f.location == "/response/body/usage/prompt_tokens"


def test_newapi_profile_accepts_chat_names_and_warns_on_responses_names() -> None:
    r = json_create()
    assert [(f.check_id, f.severity) for f in findings(r, "usage.names", "doc:newapi")] == [
        ("usage.names", Severity.WARNING)
    ]
    r["response"]["body"]["usage"] = to_chat_names(usage_of(r))
    assert findings(r, "usage.names", "doc:newapi") == []


def test_newapi_profile_judges_the_chat_total() -> None:
    r = json_create()
    chat = r["response"]["body"]["usage"] = to_chat_names(usage_of(r))
    assert findings(r, "usage.total", "doc:newapi") == []
    chat["total_tokens"] += 1
    [f] = findings(r, "usage.total", "doc:newapi")
    assert f.check_id == "usage.total"
    assert "prompt_tokens + completion_tokens" in f.message


# --- arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, "12", 1.5, True])
def test_counts_are_non_negative_integers(value: object) -> None:
    r = json_create()
    usage_of(r)["output_tokens_details"]["reasoning_tokens"] = value
    [f] = findings(r, "usage.counts")
    assert f.check_id == "usage.counts"
    assert f.location == "/response/body/usage/output_tokens_details/reasoning_tokens"


def test_total_is_input_plus_output() -> None:
    r = json_create()
    usage = usage_of(r)
    usage["total_tokens"] = usage["input_tokens"]  # a relay that forgot the output
    [f] = findings(r, "usage.total")
    assert f.check_id == "usage.total"
    assert f.location == "/response/body/usage/total_tokens"
    assert f"input_tokens + output_tokens = {usage['input_tokens']} + {usage['output_tokens']}" in f.message


def test_cached_tokens_within_input_tokens() -> None:
    r = json_create()
    usage = usage_of(r)
    usage["input_tokens_details"]["cached_tokens"] = usage["input_tokens"] + 1
    [f] = findings(r, "usage.details_within_totals")
    assert f.check_id == "usage.details_within_totals"
    assert f.location == "/response/body/usage/input_tokens_details/cached_tokens"


def test_reasoning_tokens_within_output_tokens() -> None:
    r = json_create()
    usage = usage_of(r)
    # A relay that reports visible tokens only, reasoning on top of them.
    usage["output_tokens"] = usage["output_tokens_details"]["reasoning_tokens"] - 1
    [f] = findings(r, "usage.details_within_totals")
    assert f.location == "/response/body/usage/output_tokens_details/reasoning_tokens"


def test_output_tokens_within_max_output_tokens() -> None:
    r = recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == "create"
            and (r["request"]["body"] or {}).get("max_output_tokens") is not None
        )
    )
    limit = r["request"]["body"]["max_output_tokens"]
    usage_of(r)["output_tokens"] = limit  # reaching the limit exactly is allowed
    usage_of(r)["total_tokens"] = usage_of(r)["input_tokens"] + limit
    assert findings(r, "usage.max_output_tokens") == []
    usage_of(r)["output_tokens"] = limit + 1
    [f] = findings(r, "usage.max_output_tokens")
    assert f.check_id == "usage.max_output_tokens"
    assert f.location == "/response/body/usage/output_tokens"


def test_compact_usage_is_judged_too() -> None:
    r = recorded.first(lambda r: r["provider"] == "openai" and r["endpoint"] == "compact")
    usage_of(r)["total_tokens"] += 7
    [f] = findings(r, "usage.total")
    assert f.location == "/response/body/usage/total_tokens"


@pytest.mark.parametrize("output", [1, True, [{"content": 7}], [{"content": "text"}]])
def test_nonzero_reads_output_that_is_not_an_array_of_items(output: object) -> None:
    record = json_create()
    record["response"]["body"]["output"] = output
    usage_of(record)["output_tokens"] = 0
    assert findings(record, "usage.nonzero") == []  # no output text: nothing to judge (it used to raise)
