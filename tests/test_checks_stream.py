"""The stream checks: each fires on a mutated real stream, and real OpenAI streams stay clean.

Every test starts from a recorded stream (tests/recorded.py), mutates it the way a relay
would break it (an event dropped, moved, renamed, a number changed, a delta corrupted)
and asserts the exact check id that must fire.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from respcheck.checks.registry import all_checks
from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from respcheck.sse import parse_sse
from tests.recorded import exchanges, record, records

BASIC = "simonw__llm/tests/cassettes/test_openai_responses/test_responses_basic_streaming.yaml#0"
FUNCTION = "simonw__llm/tests/cassettes/test_openai_responses/test_responses_tool_use_streaming.yaml#0"
_PYDANTIC = "pydantic__pydantic-ai/tests/models/cassettes/"
SUMMARY = _PYDANTIC + "test_openai_responses/test_openai_responses_thinking_part_iter.yaml#0"
CODE = _PYDANTIC + "test_openai_responses/test_openai_responses_code_execution_return_image_stream.yaml#0"
REASONING_TEXT = _PYDANTIC + "test_deepseek_responses/test_deepseek_responses[text_stream].yaml#0"
BACKGROUND = _PYDANTIC + "test_openai_responses/test_background_mode_streaming_vcr.yaml#0"
RESUMED = _PYDANTIC + "test_openai_responses/test_background_mode_streaming_starting_after_vcr.yaml#1"
MCP_BACKFILL = _PYDANTIC + (
    "test_openai_responses/test_openai_responses_model_mcp_list_tools_stream_backfills_missing_results.yaml#0"
)
OPENROUTER_COT = _PYDANTIC + "test_openai_responses/test_openai_responses_raw_cot_stream_openrouter.yaml#0"

# Spring-2025 OpenAI streams that predate sequence_number. The contract requires it, so
# they stay errors (stream.sequence_number.present) and nothing else fires on them.
PREDATES_SEQUENCE_NUMBER = {
    "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_stream.yml#0",
    "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_stream_without_proc.yml#0",
    _PYDANTIC + "test_openai_responses/test_openai_responses_stream.yaml#0",
    _PYDANTIC + "test_openai_responses/test_openai_responses_stream.yaml#1",
    "simonw__llm-openai-plugin/tests/cassettes/test_openai/test_async_model.yaml#0",
    "simonw__llm-openai-plugin/tests/cassettes/test_openai/test_async_model_schema.yaml#0",
}

STREAM_CHECKS = [c for c in all_checks() if c.id.startswith(("stream.", "sse."))]


# -- helpers ------------------------------------------------------------------------------


def findings(rec: dict | Exchange, profile: str = "openai") -> list[Finding]:
    ex = rec if isinstance(rec, Exchange) else exchange_from_record(rec)
    return judge(ex, profile, STREAM_CHECKS)


def fired(rec: dict | Exchange, check_id: str, profile: str = "openai") -> list[Finding]:
    return [f for f in findings(rec, profile) if f.check_id == check_id]


def events(rec: dict) -> list[dict]:
    return rec["response"]["events"]


def data(rec: dict, index: int) -> dict:
    return rec["response"]["events"][index]["data"]


def find(rec: dict, event_type: str, nth: int = 0) -> int:
    """Index of the nth event of a type."""
    hits = [
        i
        for i, e in enumerate(events(rec))
        if isinstance(e["data"], dict) and e["data"]["type"] == event_type
    ]
    return hits[nth]


def renumber(rec: dict) -> dict:
    """Sequence numbers 0, 1, 2... again after events were dropped or moved."""
    for seq, e in enumerate(x for x in events(rec) if isinstance(x["data"], dict)):
        e["data"]["sequence_number"] = seq
    return rec


def drop(rec: dict, event_type: str, nth: int = 0) -> dict:
    del events(rec)[find(rec, event_type, nth)]
    return renumber(rec)


def move(rec: dict, src: int, dst: int) -> dict:
    evs = events(rec)
    evs.insert(dst, evs.pop(src))
    return renumber(rec)


def terminal_response(rec: dict) -> dict:
    return data(rec, find(rec, "response.completed"))["response"]


def sse_bytes(rec: dict) -> bytes:
    """The recorded events as an SSE byte stream."""
    import json

    out = []
    for e in events(rec):
        if e["event"]:
            out.append(f"event: {e['event']}\n")
        payload = e["data"] if isinstance(e["data"], str) else json.dumps(e["data"])
        out.append(f"data: {payload}\n\n")
    return "".join(out).encode()


def from_bytes(rec: dict, raw: bytes) -> Exchange:
    """The record's exchange, its events re-parsed from ``raw`` (framing issues included)."""
    ex = exchange_from_record(rec)
    ex.events, ex.framing = parse_sse(raw)
    return ex


def clean(rec: dict) -> None:
    """The unmutated base stream: no warning or error from the stream checks."""
    bad = [f for f in findings(rec) if f.severity is not Severity.INFO]
    assert bad == [], bad


# -- the real streams -----------------------------------------------------------------------


def test_openai_streams_have_no_stream_error_except_those_without_sequence_number():
    seen_without = set()
    for ex in exchanges("openai"):
        if ex.events is None:
            continue
        errors = [f for f in findings(ex) if f.severity is Severity.ERROR]
        if ex.id in PREDATES_SEQUENCE_NUMBER:
            assert {f.check_id for f in errors} == {"stream.sequence_number.present"}, ex.id
            seen_without.add(ex.id)
        else:
            assert errors == [], (ex.id, errors)
    assert seen_without == PREDATES_SEQUENCE_NUMBER


def test_openai_mcp_items_never_closed_are_only_a_warning():
    # OpenAI itself leaves mcp_list_tools items without output_item.done; the terminal
    # response lists them, so a client recovers: a warning, not an error.
    found = fired(record(MCP_BACKFILL), "stream.item.order")
    assert [f.severity for f in found] == [Severity.WARNING, Severity.WARNING]
    assert "never closed" in found[0].message


def test_openrouter_reasoning_item_changes_id_in_the_final_response():
    # A real deviation: the reasoning item streamed as rs_tmp_2kbe... is rs_tmp_ku4i... at the end.
    [finding] = fired(record(OPENROUTER_COT), "stream.assembly.final_output")
    assert "rs_tmp_2kbe7x16sax" in finding.message and "rs_tmp_ku4i7pagjwn" in finding.message


def test_other_providers_streams_have_no_framing_or_order_errors():
    for ex in exchanges(None):
        if ex.events is None or ex.provider == "openai" or ex.id == OPENROUTER_COT:
            continue
        assert [f for f in findings(ex) if f.severity is Severity.ERROR] == [], ex.id


@pytest.mark.parametrize("base", [BASIC, FUNCTION, SUMMARY, CODE, REASONING_TEXT, BACKGROUND, RESUMED])
def test_base_streams_are_clean(base):
    clean(record(base))


# -- mutations: one per check id ---------------------------------------------------------------

Mutation = Callable[[dict], dict]


def _set(index_of: Callable[[dict], int], path: tuple, value) -> Mutation:
    def mutate(rec: dict) -> dict:
        target = data(rec, index_of(rec))
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return rec

    return mutate


def _first_delta(rec: dict) -> int:
    return next(i for i, e in enumerate(events(rec)) if e["data"]["type"].endswith(".delta"))


def _corrupt_delta(event_type: str) -> Mutation:
    def mutate(rec: dict) -> dict:
        data(rec, find(rec, event_type))["delta"] += "X"
        return rec

    return mutate


def _content_type(value: str) -> Mutation:
    def mutate(rec: dict) -> dict:
        rec["response"]["content_type"] = value
        return rec

    return mutate


def _rename_event(rec: dict) -> dict:
    events(rec)[find(rec, "response.output_text.delta")]["event"] = "response.output_text.deltas"
    return rec


def _unname_events(rec: dict) -> dict:
    for e in events(rec):
        e["event"] = None
    return rec


def _not_json(rec: dict) -> dict:
    events(rec)[4]["data"] = '{"type": "response.output_text.delta", "delta": "po'
    return rec


def _no_type(rec: dict) -> dict:
    del data(rec, 4)["type"]
    return rec


def _append_done(rec: dict) -> dict:
    events(rec).append({"event": None, "data": "[DONE]"})
    return rec


def _done_before_end(rec: dict) -> dict:
    events(rec).insert(len(events(rec)) - 1, {"event": None, "data": "[DONE]"})
    return rec


def _cut(rec: dict) -> dict:
    del events(rec)[-3:]
    return rec


def _second_terminal(rec: dict) -> dict:
    extra = copy.deepcopy(events(rec)[-1])
    extra["data"]["sequence_number"] += 1
    events(rec).append(extra)
    return rec


def _event_after_terminal(rec: dict) -> dict:
    return move(rec, find(rec, "response.output_item.done"), len(events(rec)))


def _error_instead_of_terminal(rec: dict) -> dict:
    seq = data(rec, -1)["sequence_number"]
    events(rec)[-1] = {
        "event": "error",
        "data": {
            "type": "error",
            "code": "server_error",
            "message": "upstream died",
            "param": None,
            "sequence_number": seq,
        },
    }
    return rec


def _drop_one_sequence_number(rec: dict) -> dict:
    del data(rec, 3)["sequence_number"]
    return rec


def _shift_sequence_numbers(rec: dict) -> dict:
    for e in events(rec):
        e["data"]["sequence_number"] += 1
    return rec


def _gap(rec: dict) -> dict:
    for e in events(rec)[5:]:
        e["data"]["sequence_number"] += 1
    return rec


def _in_progress_late(rec: dict) -> dict:
    return move(rec, find(rec, "response.in_progress"), find(rec, "response.output_text.delta"))


def _unclosed_item_missing_from_final(rec: dict) -> dict:
    drop(rec, "response.output_item.done")
    terminal_response(rec)["output"] = []
    return rec


def _item_index_gap(rec: dict) -> dict:
    for e in events(rec):
        if "output_index" in e["data"]:
            e["data"]["output_index"] = 1
    return rec


def _corrupt_text_done(rec: dict) -> dict:
    data(rec, find(rec, "response.output_text.done"))["text"] = "pang"
    return rec


def _refusal_stream(rec: dict) -> dict:
    """The basic text stream recast as a refusal (OpenAI's fixtures have none)."""
    for e in events(rec):
        d = e["data"]
        kind = d["type"].replace("output_text", "refusal")
        d["type"] = e["event"] = kind
        if kind == "response.refusal.done":
            d["refusal"] = d.pop("text")
            d.pop("logprobs", None)
        if kind == "response.refusal.delta":
            d.pop("logprobs", None)
        for part in [d.get("part"), *(d.get("item") or {}).get("content", [])]:
            if isinstance(part, dict) and part.get("type") == "output_text":
                part.clear()
                part.update(
                    {"type": "refusal", "refusal": "pong" if kind != "response.content_part.added" else ""}
                )
        for item in (d.get("response") or {}).get("output", []):
            item["content"] = [{"type": "refusal", "refusal": "pong"}]
    return rec


def _refusal_corrupted(rec: dict) -> dict:
    return _corrupt_delta("response.refusal.delta")(_refusal_stream(rec))


def _empty_final_output(rec: dict) -> dict:
    terminal_response(rec)["output"] = []
    return rec


def _buffered(rec: dict, size: int = 20) -> dict:
    # ``size`` events (empty deltas added, so the text still assembles), all landing within 2 ms
    # after a 1.5 s wait.
    evs = events(rec)
    while len(evs) < size:
        evs.insert(4, copy.deepcopy(evs[4]))
        evs[4]["data"]["delta"] = ""
    renumber(rec)
    for i, e in enumerate(evs):
        e["t"] = 1.5 + i * 0.0001
    return rec


# (check id, base stream, mutation, profile)
def _stream_not_requested(rec: dict) -> dict:
    rec["request"]["body"]["stream"] = False
    return rec


def test_a_stream_asked_for_with_a_string_is_not_unrequested() -> None:
    """Seen on Llama Stack 0.7.3: stream "true" (a string) accepted and streamed. The request did not
    say stream: false; accepting the string is the error suite's finding."""
    rec = record(BASIC)
    rec["request"]["body"]["stream"] = "true"
    assert fired(rec, "stream.unrequested") == []
    rec["request"]["body"]["stream"] = False
    assert fired(rec, "stream.unrequested")


MUTATIONS: list[tuple[str, str, Mutation, str]] = [
    ("stream.content_type", BASIC, _content_type("application/json"), "openai"),
    ("stream.unrequested", BASIC, _stream_not_requested, "openai"),
    ("stream.event_name.matches_type", BASIC, _rename_event, "openai"),
    ("stream.event_name.present", BASIC, _unname_events, "openresponses"),
    ("stream.data.json", BASIC, _not_json, "openai"),
    ("stream.data.type", BASIC, _no_type, "openai"),
    ("stream.done_marker", BASIC, _append_done, "openai"),
    ("stream.done_marker", BASIC, lambda r: r, "openresponses"),
    ("stream.done_marker.last", BASIC, _done_before_end, "openai"),
    ("stream.first_event", BASIC, lambda r: drop(r, "response.created"), "openai"),
    ("stream.terminal.present", BASIC, _cut, "openai"),
    ("stream.terminal.unique", BASIC, _second_terminal, "openai"),
    ("stream.terminal.last", BASIC, _event_after_terminal, "openai"),
    ("stream.error_event", BASIC, _error_instead_of_terminal, "openai"),
    ("stream.sequence_number.present", BASIC, _drop_one_sequence_number, "openai"),
    ("stream.sequence_number.start", BASIC, _shift_sequence_numbers, "openai"),
    ("stream.sequence_number.monotonic", BASIC, _gap, "openai"),
    ("stream.lifecycle.status", BASIC, _set(lambda r: 0, ("response", "status"), "completed"), "openai"),
    ("stream.lifecycle.response_id", BASIC, _set(lambda r: -1, ("response", "id"), "resp_other"), "openai"),
    ("stream.lifecycle.in_progress_order", BASIC, _in_progress_late, "openai"),
    ("stream.item.order", BASIC, lambda r: drop(r, "response.output_item.added"), "openai"),
    ("stream.item.order", BASIC, _unclosed_item_missing_from_final, "openai"),
    (
        "stream.item.order",
        BASIC,
        lambda r: move(r, _first_delta(r), find(r, "response.output_item.done")),
        "openai",
    ),
    ("stream.item.output_index", BASIC, _item_index_gap, "openai"),
    ("stream.item.consistent", BASIC, _set(_first_delta, ("item_id",), "msg_other"), "openai"),
    ("stream.content_part.order", BASIC, lambda r: drop(r, "response.content_part.added"), "openai"),
    ("stream.content_part.order", BASIC, lambda r: drop(r, "response.output_text.done"), "openai"),
    ("stream.assembly.output_text", BASIC, _corrupt_delta("response.output_text.delta"), "openai"),
    ("stream.assembly.output_text", BASIC, _corrupt_text_done, "openai"),
    ("stream.assembly.refusal", BASIC, _refusal_corrupted, "openai"),
    (
        "stream.assembly.reasoning_text",
        REASONING_TEXT,
        _corrupt_delta("response.reasoning_text.delta"),
        "openai",
    ),
    (
        "stream.assembly.reasoning_summary",
        SUMMARY,
        _corrupt_delta("response.reasoning_summary_text.delta"),
        "openai",
    ),
    (
        "stream.assembly.function_call_arguments",
        FUNCTION,
        _corrupt_delta("response.function_call_arguments.delta"),
        "openai",
    ),
    (
        "stream.assembly.tool_input",
        CODE,
        _corrupt_delta("response.code_interpreter_call_code.delta"),
        "openai",
    ),
    ("stream.assembly.final_output", BASIC, _empty_final_output, "openai"),
    ("stream.buffered", BASIC, _buffered, "openai"),
]


@pytest.mark.parametrize(
    ("check_id", "base", "mutate", "profile"),
    MUTATIONS,
    ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)],
)
def test_mutation_fires_its_check(check_id, base, mutate, profile):
    original = record(base)
    assert fired(original, check_id, "openai") == [] or check_id == "stream.done_marker"
    found = fired(mutate(record(base)), check_id, profile)
    assert found, f"{check_id} did not fire"
    for f in found:
        assert f.location.startswith(("/response/events", "/response/content_type")), f.location
        assert f.message and f.clause


def test_every_stream_check_has_a_test():
    tested = {m[0] for m in MUTATIONS} | {f"sse.framing.{k}" for k in FRAMING_CASES}
    assert {c.id for c in STREAM_CHECKS} == tested


# -- details of particular checks ----------------------------------------------------------------


def test_refusal_stream_built_for_the_tests_is_itself_clean():
    clean(_refusal_stream(record(BASIC)))


def test_json_body_for_a_stream_request_is_reported():
    rec = record(BASIC)
    rec["streaming"] = False
    rec["response"] = {"status": 200, "content_type": "application/json", "body": terminal_response(rec)}
    [finding] = fired(rec, "stream.content_type")
    assert "asked for a stream" in finding.message


def test_missing_event_names_are_info_under_openai_and_error_under_openresponses():
    rec = _unname_events(record(BASIC))
    [info] = fired(rec, "stream.event_name.present", "openai")
    [error] = fired(rec, "stream.event_name.present", "openresponses")
    assert (info.severity, error.severity) == (Severity.INFO, Severity.ERROR)
    assert "9 event(s)" in info.message


def test_done_marker_is_info_under_openai_and_required_under_openresponses():
    with_done = _append_done(record(BASIC))
    [info] = fired(with_done, "stream.done_marker", "openai")
    assert info.severity is Severity.INFO
    assert fired(with_done, "stream.done_marker", "openresponses") == []
    [error] = fired(record(BASIC), "stream.done_marker", "openresponses")
    assert error.severity is Severity.ERROR


def test_background_stream_may_open_with_response_queued():
    rec = drop(record(BACKGROUND), "response.created")
    assert fired(rec, "stream.first_event") == []
    rec["request"]["body"]["background"] = False
    data(rec, 0)["response"]["status"] = "in_progress"
    assert fired(rec, "stream.first_event")


def test_resumed_stream_starts_after_starting_after():
    rec = record(RESUMED)
    assert fired(rec, "stream.first_event") == []
    assert fired(rec, "stream.sequence_number.start") == []
    rec["request"]["query"]["starting_after"] = "3"
    [finding] = fired(rec, "stream.sequence_number.start")
    assert "resumes at 4" in finding.message


def test_a_stream_ending_on_an_error_event_is_a_warning_not_a_cut():
    rec = _error_instead_of_terminal(record(BASIC))
    assert fired(rec, "stream.terminal.present") == []
    [warning] = fired(rec, "stream.error_event")
    assert warning.severity is Severity.WARNING
    assert "server_error" in warning.message and "upstream died" in warning.message


@pytest.mark.parametrize(
    ("numbers", "words"),
    [
        ([0, 1, 3], "1 event(s) missing"),
        ([0, 1, 1], "duplicate"),
        ([0, 1, 0], "resets sequence_number to 0"),
        ([0, 2, 1], "goes back from sequence_number 2 to 1"),
    ],
)
def test_sequence_faults_are_told_apart(numbers, words):
    rec = record(BASIC)
    for e, seq in zip(events(rec)[:3], numbers, strict=True):
        e["data"]["sequence_number"] = seq
    messages = [f.message for f in fired(rec, "stream.sequence_number.monotonic")]
    assert any(words in m for m in messages), messages


def test_missing_sequence_numbers_are_one_finding_per_stream():
    rec = record(BASIC)
    for e in events(rec):
        del e["data"]["sequence_number"]
    [finding] = fired(rec, "stream.sequence_number.present")
    assert finding.message.startswith("no event carries")
    assert fired(rec, "stream.sequence_number.monotonic") == []
    assert fired(rec, "stream.sequence_number.start") == []


def test_unclosed_item_is_an_error_even_when_the_final_response_lists_it():
    # Issue 11, class 6: clients act on output_item.done (the Vercel AI SDK ends text parts and
    # emits tool calls there), so a message left open is an error, final response or not.
    backfilled = drop(record(BASIC), "response.output_item.done")
    [finding] = fired(backfilled, "stream.item.order")
    assert finding.severity is Severity.ERROR and "Vercel AI SDK" in finding.message
    lost = _unclosed_item_missing_from_final(record(BASIC))
    assert Severity.ERROR in {f.severity for f in fired(lost, "stream.item.order")}


def test_unclosed_hosted_tool_item_listed_in_the_final_response_is_a_warning():
    # OpenAI's own streams leave mcp_list_tools items open (recorded): the final output has them.
    assert {f.severity for f in fired(record(MCP_BACKFILL), "stream.item.order")} == {Severity.WARNING}


def test_assembly_names_the_source_that_differs():
    [finding] = fired(_corrupt_text_done(record(BASIC)), "stream.assembly.output_text")
    assert "output_text.done" in finding.message
    assert finding.location == f"/response/events/{find(record(BASIC), 'response.output_text.done')}/data"


def test_final_output_differing_from_the_done_item_is_reported():
    rec = record(FUNCTION)
    terminal_response(rec)["output"][0]["arguments"] = '{"a": 0}'
    [finding] = fired(rec, "stream.assembly.function_call_arguments")
    assert "terminal response" in finding.message


def test_item_events_on_a_closed_item_are_reported():
    rec = move(record(FUNCTION), find(record(FUNCTION), "response.function_call_arguments.done"), 15)
    assert any("after output_item.done" in f.message for f in fired(rec, "stream.item.order"))


def test_buffering_needs_arrival_times():
    rec = _buffered(record(BASIC))
    assert fired(rec, "stream.buffered")
    for e in events(rec):
        del e["t"]
    assert fired(rec, "stream.buffered") == []
    spread = _buffered(record(BASIC))
    for i, e in enumerate(events(spread)):
        e["t"] = 0.2 + i * 0.05
    assert fired(spread, "stream.buffered") == []
    fast_server = _buffered(record(BASIC))
    for e in events(fast_server):
        e["t"] -= 1.45  # everything within 2 ms, but only 50 ms after the request: just fast
    assert fired(fast_server, "stream.buffered") == []


def test_a_short_answer_arriving_at_once_is_not_called_buffered():
    # lifecycle events come in clumps anyway, and a busy relay's loop can join a few deltas:
    # only a burst with >= 10 deltas in it is evidence (BASIC has 1 delta in 9 events)
    nine_deltas = _buffered(record(BASIC), size=17)
    assert fired(nine_deltas, "stream.buffered") == []
    ten_deltas = _buffered(record(BASIC), size=18)
    assert [f.message.split(",")[0] for f in fired(ten_deltas, "stream.buffered")] == [
        "all 18 events (10 of them deltas) arrived within 1.7 ms"
    ]


def test_error_status_streams_are_left_to_the_error_checks():
    rec = _cut(record(BASIC))
    rec["response"]["status"] = 500
    assert [f for f in findings(rec) if not f.check_id.startswith("sse.")] == []


# -- SSE framing, from bytes ---------------------------------------------------------------------

FRAMING_CASES: dict[str, Callable[[bytes], bytes]] = {
    "invalid_utf8": lambda raw: raw.replace(b'"pong"', b'"p\xffng"', 1),
    "unterminated_block": lambda raw: raw.rstrip(b"\n"),
    "dataless_block": lambda raw: b"event: ping\n\n" + raw,
    "bad_retry": lambda raw: b"retry: soon\n" + raw,
    "unknown_field": lambda raw: b"foo: bar\n" + raw,
}


@pytest.mark.parametrize("kind", sorted(FRAMING_CASES))
def test_framing_issue_fires_its_check(kind):
    rec = record(BASIC)
    raw = sse_bytes(rec)
    assert [f for f in findings(from_bytes(rec, raw)) if f.check_id.startswith("sse.")] == []
    found = fired(from_bytes(rec, FRAMING_CASES[kind](raw)), f"sse.framing.{kind}")
    assert len(found) == 1
    assert found[0].location.startswith("/response")


def test_reparsed_stream_judges_like_the_recording():
    rec = record(SUMMARY)
    ex = from_bytes(rec, sse_bytes(rec))
    assert [f for f in findings(ex) if f.severity is not Severity.INFO] == []


def test_all_recorded_streams_are_judged_without_exceptions():
    for rec in records():
        if rec["response"].get("events") is not None:
            findings(rec, "openresponses")


# -- robustness: any garbage in the events gives findings, never an exception ---------------------

_WEIRD = [None, [], {}, "x", -1, 1.5, True, ["a"], {"id": ["unhashable"]}, [{"id": ["x"]}]]


def _paths(value, prefix=(), depth=0):
    """Every (container path, key) inside an event's data, a few levels deep."""
    if depth > 3:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key), depth + 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_garbled_events_never_raise(data_strategy):
    rec = record(data_strategy.draw(st.sampled_from([BASIC, FUNCTION, CODE, REASONING_TEXT, RESUMED])))
    evs = events(rec)
    for _ in range(data_strategy.draw(st.integers(1, 4))):
        event = evs[data_strategy.draw(st.integers(0, len(evs) - 1))]
        paths = list(_paths(event["data"]))
        if not paths:
            continue
        path = data_strategy.draw(st.sampled_from(paths))
        target = event["data"]
        for key in path[:-1]:
            target = target[key]
        if data_strategy.draw(st.booleans()) and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = copy.deepcopy(data_strategy.draw(st.sampled_from(_WEIRD)))
    for profile in ("openai", "openresponses"):
        judge(exchange_from_record(rec), profile)  # every check, the schema checks too


def test_unhashable_ids_in_the_final_output_are_reported_not_raised():
    rec = drop(record(BASIC), "response.output_item.done")
    terminal_response(rec)["output"] = [{"id": ["x"], "type": "message"}]
    assert fired(rec, "stream.assembly.final_output")
    assert fired(rec, "stream.item.order")


def test_stream_resumed_in_the_middle_of_an_item_is_judged_from_where_it_resumes():
    rec = record(RESUMED)
    rec["request"]["query"]["starting_after"] = "4"
    del events(rec)[:4]  # sequence numbers 1..4: queued, in_progress, item and part added
    assert data(rec, 0)["sequence_number"] == 5
    clean(rec)
    _corrupt_delta("response.output_text.delta")(rec)
    clean(rec)  # a part opened before the resume point has incomplete deltas: not assembled
    data(rec, 1)["sequence_number"] = 99
    assert fired(rec, "stream.sequence_number.monotonic")


def _fake_stream(rec: dict) -> dict:
    """A relay that wraps a finished answer in a stream: no part, no delta, just the items."""
    kept = (
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    )
    rec["response"]["events"] = [e for e in events(rec) if e["data"]["type"] in kept]
    return renumber(rec)


def test_text_that_was_never_streamed_is_reported():
    [finding] = fired(_fake_stream(record(BASIC)), "stream.assembly.output_text")
    assert "never streamed" in finding.message
    [finding] = fired(_fake_stream(record(FUNCTION)), "stream.assembly.function_call_arguments")
    assert "never streamed" in finding.message


def test_summary_that_was_never_streamed_is_reported():
    rec = _fake_stream(record(SUMMARY))
    assert fired(rec, "stream.assembly.reasoning_summary")


def test_json_that_is_not_an_event_object_is_told_apart_from_non_json():
    rec = record(BASIC)
    events(rec)[4]["data"] = None  # the JSON literal null
    events(rec)[5]["data"] = [1, 2]
    assert fired(rec, "stream.data.json") == []
    messages = [f.message for f in fired(rec, "stream.data.type")]
    assert messages == [
        "event 4 carries a JSON null, not an event object",
        "event 5 carries a JSON array, not an event object",
    ]


def test_an_empty_event_name_counts_as_missing_not_as_a_mismatch():
    rec = record(BASIC)
    events(rec)[3]["event"] = ""
    assert fired(rec, "stream.event_name.matches_type") == []
    assert fired(rec, "stream.event_name.present")


def test_stream_resumed_just_before_a_part_closes_is_clean():
    rec = record(RESUMED)
    done_at = find(rec, "response.content_part.done")
    rec["request"]["query"]["starting_after"] = str(data(rec, done_at)["sequence_number"] - 1)
    del events(rec)[:done_at]
    clean(rec)


def test_vendor_event_without_sequence_number_is_outside_the_numbering() -> None:
    """A relay's own ``x-relay.*`` event carrying no sequence_number is skipped by the sequence
    checks; one that carries a number takes part in the numbering."""
    from respcheck.replay.jsonl import exchange_from_record
    from tests import recorded

    rec = recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["streaming"]
            and all(
                isinstance(e["data"], dict) and "sequence_number" in e["data"]
                for e in r["response"]["events"]
            )
        )
    )
    events = rec["response"]["events"]
    events.insert(2, {"event": "x-relay.heartbeat", "data": {"type": "x-relay.heartbeat"}})
    ids = {f.check_id for f in judge(exchange_from_record(rec), "openai")}
    assert not {i for i in ids if i.startswith("stream.sequence_number")}
    events[2]["data"]["sequence_number"] = 99
    ids = {f.check_id for f in judge(exchange_from_record(rec), "openai")}
    assert "stream.sequence_number.monotonic" in ids
