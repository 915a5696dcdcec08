"""The fault catalogue: every fault and every benign variation, one entry each.

A fault imitates something a real relay does wrong and names the check (or the suite test)
that must catch it; a benign variation is something a relay may legitimately do, which
must produce no error finding. ``respcheck serve --fault NAME`` switches one on;
``respcheck selftest`` runs each against its scenarios and prints the mutation score.

Adding a fault is one ``contract(...)`` / ``transport(...)`` / ``benign(...)`` call below
(plus, where no check catches it yet, one check): a name, the relay behaviour it models, the
check id (or suite test) that must fire, the scenarios to run, and the hooks that break the
traffic (see ``model.py``; ``edits.py`` and ``hostile.py`` hold the building blocks).

Decisions:
- ``event:`` lines: the openai profile treats a missing line as legal (clients dispatch on
  ``data.type``; info), the openresponses profile requires it (error); so
  ``event_lines_missing`` is a fault judged under openresponses.
- A trailing ``data: [DONE]`` is benign under openai (info: openai-python stops reading there);
  the faults that move or drop it are judged under openresponses, which requires it (the
  reference then sends it: it speaks the wire form of the profile it is judged by).
- Vendor-prefixed events are benign when they carry the stream's sequence numbers in line;
  an unnumbered one is reported by ``stream.sequence_number.present``.
- ``stream_buffered`` is caught at warning severity (``stream.buffered`` is a timing
  heuristic, live traffic only); the 429 / 503 faults are transient: the client must absorb
  them by retrying (verdict "absorbed"), so they declare no check.
"""

from __future__ import annotations

import copy
from typing import Any

from respcheck.faults import hostile
from respcheck.faults.edits import (
    TERMINAL,
    copy_frame,
    drop,
    each_event,
    first,
    items,
    last,
    middle,
    move_after,
    move_before,
    on_json,
    on_request,
    on_responses,
    on_stream,
    on_stream_reply,
    reorder_keys,
    sequence_numbers,
    text_parts,
    usage_of,
)
from respcheck.faults.model import Fault, Frame, NotApplicable, Reply, Req, State, Stream, encode_frame

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


# -- small edits used by several entries -----------------------------------------------------------


def _deltas(stream: Stream, kind: str = "response.output_text.delta") -> list[Frame]:
    return stream.of_type(kind)


def _terminal(stream: Stream) -> Frame:
    return last(stream.of_type(*TERMINAL))


def _terminal_response(**fields: Any):
    """Overwrite these fields of the Response the terminal event carries (and only there)."""

    def edit(stream: Stream) -> None:
        _terminal(stream).data["response"].update(copy.deepcopy(fields))

    return edit


def _set(key: str, value: Any):
    def edit(target: dict[str, Any]) -> None:
        target[key] = value

    return edit


def _pop(*keys: str):
    def edit(target: dict[str, Any]) -> None:
        for key in keys:
            target.pop(key, None)

    return edit


def _error_of(reply: Reply) -> dict[str, Any] | None:
    """The ``error`` object of an OpenAI-shaped error body (None when the body has none)."""
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    return error if isinstance(error, dict) else None


def _response_id(req: Req) -> str:
    """The ``{response_id}`` a retrieve or delete path ends with."""
    return req.path.rstrip("/").rsplit("/", 1)[-1]


# ====================================================================================================
# Stream grammar
# ====================================================================================================

contract(
    "created_missing",
    "relay that synthesises its own stream and starts at in_progress",
    "stream.first_event",
    reply=on_stream(drop("response.created")),
    fast=True,
)
contract(
    "created_not_first",
    "relay that flushes buffered lifecycle events out of order",
    "stream.first_event",
    reply=on_stream(move_after("response.created", "response.in_progress")),
)
contract(
    "completed_before_last_delta",
    "relay that emits the terminal event before its output queue drains",
    "stream.terminal.last",
    reply=on_stream(move_before("response.completed", "response.output_text.delta", last_anchor=True)),
    fast=True,
)
contract(
    "output_item_added_missing",
    "relay translating Chat chunks that never opens the output item",
    "stream.item.order",
    reply=on_stream(drop("response.output_item.added")),
)
contract(
    "content_part_added_missing",
    "relay that forwards text deltas without opening the content part",
    "stream.content_part.order",
    reply=on_stream(drop("response.content_part.added")),
)
contract(
    "in_progress_after_deltas",
    "relay that injects response.in_progress late, after output began",
    "stream.lifecycle.in_progress_order",
    reply=on_stream(move_after("response.in_progress", "response.output_text.delta")),
)


def _duplicate_terminal(stream: Stream) -> None:
    again = copy_frame(_terminal(stream))
    again.data["sequence_number"] = stream.frames[-1].data["sequence_number"] + 1
    stream.frames.append(again)


contract(
    "terminal_duplicated",
    "relay that re-sends the final event on upstream retry",
    "stream.terminal.unique",
    reply=on_stream(_duplicate_terminal),
    fast=True,
)
contract(
    "terminal_missing",
    "relay that closes the stream when upstream's socket closes, terminal unsent",
    "stream.terminal.present",
    reply=on_stream(drop(*TERMINAL)),
)


def _upstream_error_text(stream: Stream) -> None:
    half = len(stream.frames) // 2
    del stream.frames[half:]
    stream.trailer = b"upstream error: 502 Bad Gateway (read tcp: connection reset by peer)\n"


contract(
    "upstream_error_as_text",
    "relay that answers 200, then writes the upstream failure as plain text",
    "stream.terminal.present",
    reply=on_stream(_upstream_error_text),
    fast=True,
)

# ====================================================================================================
# sequence_number
# ====================================================================================================

contract(
    "sequence_missing",
    "relay that rebuilds events from a Chat stream and drops sequence_number",
    "stream.sequence_number.present",
    reply=on_stream(sequence_numbers(lambda i, n: None)),
    fast=True,
)
contract(
    "sequence_from_one",
    "relay that numbers events from 1",
    "stream.sequence_number.start",
    reply=on_stream(sequence_numbers(lambda i, n: i + 1)),
)
contract(
    "sequence_gap",
    "relay that silently drops one event (a filtered delta) but keeps numbers",
    "stream.sequence_number.monotonic",
    reply=on_stream(sequence_numbers(lambda i, n: i if i < n // 2 else i + 1)),
)
contract(
    "sequence_duplicate",
    "relay that duplicates an event number when it splits a delta in two",
    "stream.sequence_number.monotonic",
    reply=on_stream(sequence_numbers(lambda i, n: i if i < n // 2 else i - 1)),
)
contract(
    "sequence_reset",
    "relay that splices a reconnected upstream stream, numbering from 0 again",
    "stream.sequence_number.monotonic",
    reply=on_stream(sequence_numbers(lambda i, n: i if i < n // 2 else i - n // 2)),
    fast=True,
)

# ====================================================================================================
# SSE framing
# ====================================================================================================


def _misname_deltas(stream: Stream) -> None:
    for frame in _deltas(stream):
        frame.event = "response.output_text"


contract(
    "event_name_mismatch",
    "relay that names events by family (event: response.output_text)",
    "stream.event_name.matches_type",
    reply=on_stream(_misname_deltas),
    fast=True,
)


def _no_event_lines(stream: Stream) -> None:
    for frame in stream.frames:
        frame.event = None


contract(
    "event_lines_missing",
    "relay that writes data: lines only (legal under openai: info; an "
    "error under the openresponses profile, which requires event: lines)",
    "stream.event_name.present",
    reply=on_stream(_no_event_lines),
    profiles=("openresponses",),
)


def _python_repr_delta(stream: Stream) -> None:
    frame = middle(_deltas(stream))
    frame.data = repr(frame.data)  # {'type': ...}: a relay that str()s a dict


contract(
    "data_not_json",
    "relay that writes a Python dict's repr instead of JSON",
    "stream.data.json",
    reply=on_stream(_python_repr_delta),
    fast=True,
)


def _set_content_type(value: str):
    def edit(reply: Reply) -> None:
        reply.headers["content-type"] = value

    return edit


contract(
    "stream_served_as_json",
    "relay that labels every answer application/json, streams too",
    "stream.content_type",
    reply=on_stream_reply(_set_content_type("application/json")),
)
contract(
    "stream_buffered",
    "relay (or proxy with buffering on) that holds the stream and sends it at once",
    "stream.buffered",
    respond=hostile.burst_after(0.7),
    fast=True,
)
contract(
    "event_without_type",
    "relay that strips unknown-to-it fields, type included, from one event",
    "stream.data.type",
    reply=on_stream(lambda s: middle(_deltas(s)).data.pop("type")),
)


def _is_done_marker(frame: Frame) -> bool:
    return frame.data == "[DONE]"


def _done_before_terminal(stream: Stream) -> None:
    stream.frames[:] = [f for f in stream.frames if not _is_done_marker(f)]
    at = stream.frames.index(_terminal(stream))
    stream.frames.insert(at, Frame(None, "[DONE]"))


def _drop_done_marker(stream: Stream) -> None:
    kept = [f for f in stream.frames if not _is_done_marker(f)]
    if len(kept) == len(stream.frames):
        raise NotApplicable("the stream has no [DONE] to drop")
    stream.frames[:] = kept


# The [DONE] faults are judged under openresponses, the profile that requires the marker: the
# reference then ends its streams with one, and the relay moves or drops it.
contract(
    "done_marker_not_last",
    "relay that writes [DONE] when the text ends, then the terminal",
    "stream.done_marker.last",
    reply=on_stream(_done_before_terminal),
    profiles=("openresponses",),
)
contract(
    "done_marker_dropped",
    "relay that strips the data: [DONE] the Open Responses contract ends a stream with "
    "(as a proxy that knows only OpenAI's streams does)",
    "stream.done_marker",
    reply=on_stream(_drop_done_marker),
    profiles=("openresponses",),
)


def _dataless_ping(stream: Stream) -> None:
    stream.frames.insert(2, Frame(None, None, raw=b"event: ping\n\n"))


contract(
    "dataless_event_block",
    "relay keep-alive written as 'event: ping' with no data line",
    "sse.framing.dataless_block",
    reply=on_stream(_dataless_ping),
)


def _unterminated_last(stream: Stream) -> None:
    last = stream.frames[-1]
    last.raw = encode_frame(last).rstrip(b"\n") + b"\n"


contract(
    "last_event_unterminated",
    "relay that closes the socket before the final blank line",
    "sse.framing.unterminated_block",
    reply=on_stream(_unterminated_last),
)

# ====================================================================================================
# Assembly: the pieces of a stream agree with each other and with the final response
# ====================================================================================================


def _drop_middle(kind: str):
    """Remove the middle event of a kind and re-sequence (a filter that swallowed it)."""

    def edit(stream: Stream) -> None:
        stream.frames.remove(middle(_deltas(stream, kind)))
        stream.renumber()

    return edit


contract(
    "delta_dropped",
    "relay whose filter swallows one text delta",
    "stream.assembly.output_text",
    reply=on_stream(_drop_middle("response.output_text.delta")),
    fast=True,
)
contract(
    "done_text_differs",
    "relay that post-processes (trims, censors) only the .done text",
    "stream.assembly.output_text",
    reply=on_stream(
        each_event(lambda d: d.update(text=d["text"] + " [edited]"), "response.output_text.done")
    ),
)


def _final_text_differs(stream: Stream) -> None:
    for part in text_parts(_terminal(stream).data["response"]):
        part["text"] = part["text"].upper()


contract(
    "final_text_differs",
    "relay that rebuilds the final response from a different upstream attempt",
    "stream.assembly.output_text",
    reply=on_stream(_final_text_differs),
)
contract(
    "completed_empty_output",
    "relay that sends response.completed with output: [] (it kept no copy)",
    "stream.assembly.final_output",
    reply=on_stream(_terminal_response(output=[])),
    fast=True,
)


def _arguments_delta_differs(stream: Stream) -> None:
    frame = first(_deltas(stream, "response.function_call_arguments.delta"))
    frame.data["delta"] = frame.data["delta"].replace("{", '{"x":1,', 1) or '{"x":1}'


contract(
    "arguments_deltas_differ",
    "relay that re-encodes tool-call argument deltas (spaces, escapes)",
    "stream.assembly.function_call_arguments",
    (STREAM_FUNCTION,),
    reply=on_stream(_arguments_delta_differs),
    fast=True,
)
contract(
    "item_id_inconsistent",
    "relay that mints its own ids for deltas but keeps upstream's on items",
    "stream.item.consistent",
    reply=on_stream(each_event(lambda d: d.update(item_id="msg_relay_0"), "response.output_text.delta")),
)
contract(
    "output_index_inconsistent",
    "relay that counts output_index per event family (text deltas from 0)",
    "stream.item.order",
    (STREAM_REASONING,),
    reply=on_stream(each_event(lambda d: d.update(output_index=0), "response.output_text.delta")),
)
contract(
    "content_index_inconsistent",
    "relay that numbers content parts from 1 on deltas only",
    "stream.content_part.order",
    reply=on_stream(
        each_event(
            lambda d: d.update(content_index=d["content_index"] + 1),
            "response.output_text.delta",
            "response.output_text.done",
        )
    ),
)


def _shift_output_index(data: dict[str, Any]) -> None:
    if isinstance(data.get("output_index"), int):
        data["output_index"] += 1


contract(
    "output_index_from_one",
    "relay that numbers output items from 1",
    "stream.item.output_index",
    reply=on_stream(each_event(_shift_output_index)),
)
contract(
    "terminal_status_mismatch",
    "relay that copies the in_progress snapshot into response.completed",
    "stream.lifecycle.status",
    reply=on_stream(_terminal_response(status="in_progress")),
)
contract(
    "response_id_changes",
    "relay that rewrites ids in the terminal event only",
    "stream.lifecycle.response_id",
    reply=on_stream(_terminal_response(id="resp_relay_rewritten")),
)
contract(
    "summary_delta_dropped",
    "relay that drops reasoning summary deltas it does not understand",
    "stream.assembly.reasoning_summary",
    (STREAM_REASONING,),
    reply=on_stream(_drop_middle("response.reasoning_summary_text.delta")),
)

# ====================================================================================================
# Response objects
# ====================================================================================================

OBJECT_SCENARIOS = (CREATE_JSON, STREAM_TEXT)

contract(
    "object_not_response",
    "relay that labels Responses answers object: chat.completion",
    "response.object",
    OBJECT_SCENARIOS,
    reply=on_responses(_set("object", "chat.completion")),
    fast=True,
)
contract(
    "created_at_milliseconds",
    "relay written in JavaScript: created_at = Date.now()",
    "response.created_at",
    OBJECT_SCENARIOS,
    reply=on_responses(lambda r: r.update(created_at=r["created_at"] * 1000)),
)
contract(
    "created_at_float",
    "relay that stamps time.time() without int()",
    "response.created_at",
    OBJECT_SCENARIOS,
    reply=on_responses(lambda r: r.update(created_at=r["created_at"] + 0.25)),
)
contract(
    "required_field_missing",
    "relay whose response model omits fields it does not use (tools)",
    "schema.response",
    OBJECT_SCENARIOS,
    reply=on_responses(_pop("tools")),
)


def _status_from_to(old: str, new: str):
    def edit(response: dict[str, Any]) -> None:
        if response.get("status") == old:
            response["status"] = new

    return edit


contract(
    "status_complete",
    "relay that writes status 'complete' (not 'completed')",
    "response.status",
    (CREATE_JSON,),
    reply=on_responses(_status_from_to("completed", "complete")),
    fast=True,
)
contract(
    "completed_with_incomplete_details",
    "relay that maps every finished upstream answer to completed",
    "response.status_consistency",
    (TINY_MAX_JSON,),
    reply=on_responses(_status_from_to("incomplete", "completed")),
)
contract(
    "max_output_tokens_ignored",
    "relay that does not forward max_output_tokens and reports completed",
    "usage.max_output_tokens",
    (TINY_MAX_JSON,),
    request=on_request(_pop("max_output_tokens")),
    reply=on_responses(lambda r: r.update(max_output_tokens=16)),
)


def _content_as_string(response: dict[str, Any]) -> None:
    for item in items(response, "message"):
        item["content"] = "".join(p.get("text", "") for p in item.get("content") or [])


contract(
    "content_as_string",
    "relay that flattens message content to Chat's plain string",
    "response.output.message",
    OBJECT_SCENARIOS,
    reply=on_responses(_content_as_string),
    fast=True,
)


def _drop_annotations(response: dict[str, Any]) -> None:
    for part in text_parts(response):
        part.pop("annotations", None)


contract(
    "annotations_missing",
    "relay that omits empty annotations arrays",
    "response.output.message",
    (CREATE_JSON,),
    reply=on_responses(_drop_annotations),
)
contract(
    "model_missing",
    "relay that strips the model name (to hide its upstream)",
    "response.model",
    (CREATE_JSON,),
    reply=on_responses(_pop("model")),
)

# ====================================================================================================
# Usage
# ====================================================================================================


def _chat_usage(response: dict[str, Any]) -> None:
    usage = usage_of(response)
    if usage:
        response["usage"] = {
            "prompt_tokens": usage["input_tokens"],
            "completion_tokens": usage["output_tokens"],
            "total_tokens": usage["total_tokens"],
        }


contract(
    "usage_chat_names",
    "relay translating from Chat Completions that keeps prompt/completion_tokens",
    "usage.names",
    OBJECT_SCENARIOS,
    reply=on_responses(_chat_usage, final_only=True),
    fast=True,
)
contract(
    "usage_total_wrong",
    "relay that adds its own prompt overhead to total_tokens only",
    "usage.total",
    OBJECT_SCENARIOS,
    reply=on_responses(
        lambda r: usage_of(r).update(total_tokens=usage_of(r).get("total_tokens", 0) + 7), final_only=True
    ),
)
contract(
    "usage_missing",
    "relay that drops usage from the final response",
    "usage.present",
    OBJECT_SCENARIOS,
    reply=on_responses(_pop("usage"), final_only=True),
    fast=True,
)


def _zero_usage(response: dict[str, Any]) -> None:
    usage = usage_of(response)
    if usage:
        usage.update(input_tokens=0, output_tokens=0, total_tokens=0)


contract(
    "usage_zero",
    "relay that cannot count and reports zeros on a completed response",
    "usage.nonzero",
    OBJECT_SCENARIOS,
    reply=on_responses(_zero_usage, final_only=True),
)


def _detail_above_total(details: str, part: str, total: str):
    """A detail count larger than the total it is part of."""

    def edit(response: dict[str, Any]) -> None:
        usage = usage_of(response)
        if isinstance(usage.get(details), dict):
            usage[details][part] = usage.get(total, 0) + 10

    return edit


contract(
    "cached_exceeds_input",
    "relay that reports its own cache hits on top of upstream's",
    "usage.details_within_totals",
    (CREATE_JSON,),
    reply=on_responses(
        _detail_above_total("input_tokens_details", "cached_tokens", "input_tokens"), final_only=True
    ),
)
contract(
    "reasoning_exceeds_output",
    "relay that double-counts reasoning tokens in the details only",
    "usage.details_within_totals",
    (REASONING_TOKENS,),
    reply=on_responses(
        _detail_above_total("output_tokens_details", "reasoning_tokens", "output_tokens"), final_only=True
    ),
)
contract(
    "usage_details_missing",
    "relay that keeps only the three totals",
    "schema.response",
    (CREATE_JSON,),
    reply=on_responses(
        lambda r: _pop("input_tokens_details", "output_tokens_details")(usage_of(r)), final_only=True
    ),
)

# ====================================================================================================
# Behaviour: the relay changes what the request does (caught by the checks that read the request or
# the scenario's sequence; recall only by the scenario's expectation, conversation.recall)
# ====================================================================================================

contract(
    "previous_response_id_ignored",
    "stateless relay that drops previous_response_id",
    "conversation.recall",
    (RECALL_JSON,),
    request=on_request(_pop("previous_response_id")),
    fast=True,
)


def _echo_request_field(field: str):
    """The response claims the request's value (a relay that echoes the request, not upstream)."""

    def hook(reply: Reply, state: State) -> None:
        if isinstance(reply.request.body, dict) and field in state.get("sent", {}):
            on_responses(_set(field, state["sent"][field]))(reply, state)

    return hook


def _drop_but_remember(*fields: str):
    def hook(req: Req, state: State) -> None:
        if req.endpoint == "create" and isinstance(req.body, dict):
            state["sent"] = {f: req.body.pop(f) for f in fields if f in req.body}

    return hook


contract(
    "previous_response_id_echo_only",
    "stateless relay: drops previous_response_id upstream, echoes it back in the response",
    "conversation.recall",
    (RECALL_JSON,),
    request=_drop_but_remember("previous_response_id"),
    reply=_echo_request_field("previous_response_id"),
)
contract(
    "instructions_dropped",
    "relay that forwards only model and input",
    "response.echo",  # a warning: real relays that do not echo instructions are common
    (INSTRUCTIONS_JSON,),
    request=on_request(_pop("instructions")),
)
contract(
    "text_format_ignored",
    "relay that drops text.format (structured output) and echoes the request",
    "request.text_format",
    (STRUCTURED,),
    request=_drop_but_remember("text"),
    reply=_echo_request_field("text"),
    fast=True,
)
contract(
    "store_false_still_retrievable",
    "relay that stores everything in its own cache, store: false too",
    "lifecycle.store_false",
    (STORE_FALSE,),
    request=_drop_but_remember("store"),
    reply=_echo_request_field("store"),
)


def _delete_noop(req: Req, state: State) -> Reply | None:
    if req.endpoint != "delete":
        return None
    body = {"id": _response_id(req), "object": "response.deleted", "deleted": True}
    return Reply(200, {"content-type": "application/json"}, req, body=body)


contract(
    "delete_noop",
    "relay that answers deleted: true without forwarding the delete",
    "lifecycle.deleted",
    (DELETE,),
    request=_delete_noop,
    fast=True,
)


def _cache_responses(reply: Reply, state: State) -> None:
    cache = state.setdefault("cache", {})
    req = reply.request
    if req.endpoint == "create" and reply.is_success and isinstance(reply.body, dict):
        cache[reply.body.get("id")] = reply.body
    elif req.endpoint == "retrieve" and reply.status == 404:
        cached = cache.get(_response_id(req))
        if cached is not None:
            reply.status, reply.body = 200, cached


contract(
    "retrieve_after_delete_cached",
    "relay with a response cache that deletes never invalidate",
    "lifecycle.deleted",
    (DELETE,),
    reply=_cache_responses,
)


def _status_as(old: int | None, new: int):
    """Upstream's body passed through under another status (``old`` None: any status)."""

    def edit(reply: Reply) -> None:
        if old is None or reply.status == old:
            reply.status = new

    return edit


contract(
    "unknown_id_500",
    "relay that maps every upstream 4xx it does not know to 500",
    "error.status",
    (UNKNOWN_ID,),
    reply=on_json(_status_as(404, 500)),
    fast=True,
)
contract(
    "retrieve_after_delete_500",
    "relay whose lookup of a deleted id crashes",
    "lifecycle.deleted",
    (DELETE,),
    reply=on_json(_status_as(404, 500), endpoints=("retrieve",)),
)


def _cancel_noop_request(req: Req, state: State) -> Reply | None:
    if req.endpoint != "cancel":
        return None
    # Forward a retrieve instead: the relay acknowledges the cancel and changes nothing.
    req.method, req.path = "GET", req.path.rsplit("/cancel", 1)[0]
    req.endpoint = "retrieve"
    return None


contract(
    "cancel_noop",
    "relay without a cancel route that answers with the current response",
    "lifecycle.cancel",
    (CANCEL,),
    request=_cancel_noop_request,
)
contract(
    "background_ignored",
    "relay that strips background and runs the request in the foreground",
    "request.background",
    (CANCEL,),
    request=on_request(_pop("background")),
)
contract(
    "tool_choice_required_ignored",
    "relay that drops tool_choice (the model then answers in text)",
    "request.tool_choice",
    (TOOL_REQUIRED,),
    request=on_request(_set("tool_choice", "none")),
    reply=on_responses(lambda r: r.update(tool_choice="required")),
)


def _drop_call_ids(response: dict[str, Any]) -> None:
    for call in items(response, "function_call"):
        call.pop("call_id", None)


contract(
    "function_call_without_call_id",
    "relay translating from Chat that loses tool_call ids",
    "response.output.function_call",
    (TOOL_REQUIRED,),
    reply=on_responses(_drop_call_ids),
    fast=True,
)
contract(
    "reasoning_summary_dropped",
    "relay that forwards reasoning.effort but not reasoning.summary",
    "reasoning.answered",
    (REASONING_SUMMARY,),
    request=_drop_but_remember("reasoning"),
    reply=_echo_request_field("reasoning"),
)


def _detail_error(reply: Reply) -> None:
    error = _error_of(reply)
    if error is not None:
        reply.body = {"detail": error.get("message")}


def _bare_string_error(reply: Reply) -> None:
    error = _error_of(reply)
    if error is not None:
        reply.raw = str(error.get("message")).encode()
        reply.headers["content-type"] = "text/plain; charset=utf-8"


contract(
    "error_detail_body",
    'FastAPI-based relay: errors as {"detail": ...}',
    "error.envelope",
    (UNKNOWN_ID,),
    reply=on_json(_detail_error, success=False),
    fast=True,
)
contract(
    "error_bare_string",
    "relay that passes an error message through as text/plain",
    "error.envelope",
    (UNKNOWN_ID,),
    reply=on_json(_bare_string_error, success=False),
)
contract(
    "auth_401_as_500",
    "relay whose auth middleware crashes on a bad key",
    "error.status",
    (NO_KEY,),
    reply=on_json(_status_as(401, 500), success=False),
)
contract(
    "error_with_status_200",
    "relay that always answers 200 and puts upstream errors in the body",
    "error.in_success",
    (UNKNOWN_ID,),
    reply=on_json(_status_as(None, 200), success=False),
)
contract(
    "deleted_flag_string",
    "relay that serialises booleans as strings",
    "delete.result",
    (DELETE,),
    reply=on_json(lambda r: r.body.update(deleted="true"), endpoints=("delete",), success=True),
)
contract(
    "input_items_without_last_id",
    "relay that pages with its own cursor and drops first_id/last_id",
    "input_items.list",
    (INPUT_ITEMS,),
    reply=on_json(
        lambda r: _pop("first_id", "last_id")(r.body),
        endpoints=("input_items",),
        success=True,
    ),
)

# ====================================================================================================
# Behaviour across calls or against the request (issue 11): caught by registered checks
# ====================================================================================================

contract(
    "output_item_done_dropped",
    "relay that forwards deltas but drops output_item.done (the terminal response still lists the item)",
    "stream.item.order",
    (STREAM_TEXT, STREAM_FUNCTION),
    reply=on_stream(drop("response.output_item.done", first_only=False)),
    fast=True,
)


def _completed_keeping_items(response: dict[str, Any]) -> None:
    """The response says completed; its items still say they were cut (truncation as success)."""
    if response.get("status") == "incomplete":
        response.update(status="completed", incomplete_details=None)


contract(
    "completed_with_incomplete_item",
    "relay that maps every finished upstream answer to completed and drops incomplete_details",
    "response.status_consistency",
    (TINY_MAX_JSON,),
    reply=on_responses(_completed_keeping_items),
    fast=True,
)
contract(
    "incomplete_without_reason",
    "relay that rebuilds incomplete_details from its own enum and loses the reason",
    "response.status_consistency",
    (TINY_MAX_JSON,),
    reply=on_responses(
        lambda r: r.get("incomplete_details") and r.update(incomplete_details={"reason": None})
    ),
)


def _stream_always(req: Req, state: State) -> None:
    if req.endpoint == "create" and isinstance(req.body, dict) and req.body.get("stream") is not True:
        req.body["stream"] = True


contract(
    "stream_unrequested",
    "relay that always asks upstream for a stream and passes it on, asked for or not",
    "stream.unrequested",
    (CREATE_JSON,),
    request=_stream_always,
)


def _rewrite_retrieved_id(reply: Reply) -> None:
    if isinstance(reply.body, dict) and isinstance(reply.body.get("id"), str):
        reply.body["id"] = "resp_relay_" + reply.body["id"].removeprefix("resp_")[::-1]


contract(
    "retrieve_id_rewritten",
    "relay that mints its own ids on retrieve (its cache key) instead of upstream's",
    "response.id.round_trip",
    (RETRIEVE_EQUALS,),
    reply=on_json(_rewrite_retrieved_id, endpoints=("retrieve",), success=True),
)


def _run_in_foreground(req: Req, state: State) -> None:
    if req.endpoint == "create" and isinstance(req.body, dict):
        req.body.pop("background", None)


contract(
    "background_answered_synchronously",
    "relay that runs background requests in the foreground and answers completed, background null",
    "request.background",
    (BACKGROUND_DONE,),
    request=_run_in_foreground,
    reply=on_responses(lambda r: r.update(background=None)),
)


def _truncation_as_success(response: dict[str, Any]) -> None:
    """Rebuilt as completed from its parts: nothing left says it was cut but the token count."""
    if response.get("status") == "incomplete":
        response.update(status="completed", incomplete_details=None)
        for item in response.get("output") or []:
            if isinstance(item, dict) and item.get("status") == "incomplete":
                item["status"] = "completed"


contract(
    "truncation_reported_completed",
    "relay that rebuilds every finished answer as completed, item statuses included",
    "usage.at_limit",
    (TINY_MAX_JSON,),
    reply=on_responses(_truncation_as_success),
)
contract(
    "model_changes_mid_stream",
    "relay that falls back to another model mid-stream and names it in the terminal event only",
    "lifecycle.model",
    (STREAM_TEXT,),
    reply=on_stream(_terminal_response(model="gpt-4o-mini-relay-fallback")),
    fast=True,
)


def _refuse_cancel(req: Req, state: State) -> Reply | None:
    if req.endpoint != "cancel":
        return None
    error = {
        "message": "Cannot cancel a response in progress.",
        "type": "invalid_request_error",
        "param": None,
        "code": "conflict",
    }
    return Reply(409, {"content-type": "application/json"}, req, body={"error": error})


contract(
    "cancel_refused_while_running",
    "relay that only cancels finished work: a cancel of a running response gets 409",
    "lifecycle.cancel",
    (CANCEL,),
    request=_refuse_cancel,
)

# ====================================================================================================
# Transport: hostile targets (each must end within its bound with a clear finding)
# ====================================================================================================

transport(
    "hang_before_headers",
    "relay stuck on a dead upstream: accepts, never answers",
    "transport.complete",
    (CREATE_JSON,),
    bound=2.5,
    respond=hostile.hang_before_headers,
    fast=True,
)
transport(
    "slow_drip",
    "overloaded relay or proxy trickling the stream one byte a second",
    "transport.complete",
    (STREAM_TEXT,),
    bound=4.5,
    respond=hostile.slow_drip,
    fast=True,
)
transport(
    "reset_mid_stream",
    "relay killed mid-stream (deploy, OOM): the connection drops",
    "transport.complete",
    (STREAM_TEXT,),
    bound=2.0,
    respond=hostile.reset_mid_stream,
    fast=True,
)
transport(
    "body_50mb",
    "relay forwarding a runaway upstream answer: a 50 MB body",
    "transport.complete",
    (CREATE_JSON,),
    bound=4.5,
    respond=hostile.huge_body(),
    fast=True,
)
transport(
    "endless_stream",
    "relay looping on upstream retries: deltas forever, never a terminal",
    "transport.complete",
    (STREAM_TEXT,),
    bound=4.5,
    respond=hostile.endless_stream,
    fast=True,
)


def _invalid_utf8_delta(stream: Stream) -> None:
    frame = middle(_deltas(stream))
    text = encode_frame(frame)
    frame.raw = text.replace(b'"delta":"', b'"delta":"\xff\xfe', 1)


transport(
    "invalid_utf8_stream",
    "relay that cuts a multi-byte character in half (or re-encodes latin-1)",
    "sse.framing.invalid_utf8",
    (STREAM_TEXT,),
    bound=2.0,
    reply=on_stream(_invalid_utf8_delta),
    fast=True,
)
transport(
    "invalid_utf8_body",
    "relay that re-encodes a JSON body as latin-1 with a stray byte",
    "transport.complete",
    (CREATE_JSON,),
    bound=2.0,
    reply=on_json(
        lambda r: setattr(r, "raw", r.encode().replace(b'"output"', b'"\xff"', 1)),
        endpoints=("create",),
        success=True,
    ),
)
transport(
    "rate_limited_then_ok",
    "relay rate limiting: 429 with Retry-After, then the answer",
    None,
    (CREATE_JSON,),
    bound=3.5,
    respond=hostile.refuse_first(429, 2, "1"),
    fast=True,
)
transport(
    "flapping_503",
    "relay whose upstream pool flaps: 503, 503, then the answer",
    None,
    (CREATE_JSON,),
    bound=4.5,
    respond=hostile.refuse_first(503, 3, None),
)

# ====================================================================================================
# Benign variations: legal, so respcheck must stay silent (no error finding)
# ====================================================================================================


def _comments(stream: Stream) -> None:
    for i, frame in enumerate(stream.frames):
        frame.before = [": keep-alive"] if i % 2 else [":", ": OPENROUTER PROCESSING"]
    stream.trailer = b": bye\n\n"


def _id_lines(stream: Stream) -> None:
    for i, frame in enumerate(stream.frames):
        frame.before = [f"id: {i}"]


def _extra_fields(reply: Reply, state: State) -> None:
    if reply.stream is not None:
        for frame in reply.stream.frames:
            if isinstance(frame.data, dict):
                frame.data["x_relay"] = {"region": "eu-west", "latency_ms": 3}
    elif isinstance(reply.body, dict):
        error = _error_of(reply)
        reply.body["x_relay"] = {"region": "eu-west"}
        if error is not None:
            error["x_request_id"] = "req_relay_1"


def _vendor_events(stream: Stream) -> None:
    for at, kind in ((1, "openrouter.processing"), (len(stream.frames) - 1, "x-relay.cost")):
        stream.frames.insert(at, Frame(kind, {"type": kind, "sequence_number": 0, "note": "vendor event"}))
    stream.renumber()


def _reordered(reply: Reply, state: State) -> None:
    def backwards(keys: list[str]) -> list[str]:
        return list(reversed(keys))

    if reply.stream is not None:
        for frame in reply.stream.frames:
            if isinstance(frame.data, dict):
                frame.data = reorder_keys(frame.data, backwards)
    elif reply.body is not None:
        reply.body = reorder_keys(reply.body, backwards)


benign(
    "comments_and_keepalives",
    "relay/proxy keep-alive comments (': keep-alive', ':') between events",
    reply=on_stream(_comments),
)
benign(
    "id_lines", "relay that numbers events with SSE id: lines (for Last-Event-ID)", reply=on_stream(_id_lines)
)
benign(
    "crlf_framing",
    "relay on a stack that writes CRLF line ends (sse-starlette's default)",
    reply=on_stream(lambda s: setattr(s, "newline", "\r\n")),
)
benign(
    "split_across_chunks",
    "proxy that re-chunks the stream at arbitrary byte boundaries",
    respond=hostile.split_anywhere(),
)
benign(
    "unknown_extra_fields",
    "relay that adds its own fields to events, responses and errors",
    reply=_extra_fields,
)
benign(
    "vendor_prefixed_events",
    "relay that interleaves its own vendor-prefixed events (numbered in line)",
    reply=on_stream(_vendor_events),
)
benign("reordered_keys", "relay that re-serialises JSON with another key order", reply=_reordered)
benign(
    "trailing_done_marker",
    "relay that ends Responses streams with Chat's data: [DONE]",
    reply=on_stream(lambda s: s.frames.append(Frame(None, "[DONE]"))),
)


def _echo_key_in_errors(reply: Reply) -> None:
    # What a careless relay logs back: the Bearer token it received, in every error message.
    token = reply.request.headers.get("authorization", "").partition(" ")[2]
    error = _error_of(reply)
    if token and error is not None:
        error["message"] = f"{error.get('message')} (request made with key {token})"


benign(
    "key_echoed_in_errors",
    "relay that echoes the caller's API key in error messages (OpenAI echoes it masked); "
    "the secret scan proves it never reaches a report",
    (UNKNOWN_ID,),
    reply=on_json(_echo_key_in_errors, success=False),
)


def by_kind(kind: str) -> list[Fault]:
    return [f for f in CATALOGUE.values() if f.kind == kind]
