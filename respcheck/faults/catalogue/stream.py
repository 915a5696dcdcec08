"""Faults in the event stream: its grammar, sequence numbers, SSE framing, and the assembly of
the pieces into the final response (each caught by a ``stream.*`` or ``sse.*`` check)."""

from __future__ import annotations

from typing import Any

from respcheck.faults import hostile
from respcheck.faults.edits import (
    TERMINAL,
    copy_frame,
    deltas,
    drop,
    each_event,
    first,
    middle,
    move_after,
    move_before,
    on_stream,
    on_stream_reply,
    sequence_numbers,
    terminal,
    terminal_response,
    text_parts,
)
from respcheck.faults.model import Frame, NotApplicable, Reply, Stream, encode_frame
from respcheck.faults.registry import (
    STREAM_FUNCTION,
    STREAM_REASONING,
    contract,
)

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
    again = copy_frame(terminal(stream))
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
    for frame in deltas(stream):
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
    frame = middle(deltas(stream))
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
    ("stream_long_text",),  # stream.buffered judges a stream of >= 10 deltas; "Say hello." has 6
    respond=hostile.burst_after(0.7),
    fast=True,
)
contract(
    "event_without_type",
    "relay that strips unknown-to-it fields, type included, from one event",
    "stream.data.type",
    reply=on_stream(lambda s: middle(deltas(s)).data.pop("type")),
)


def _is_done_marker(frame: Frame) -> bool:
    return frame.data == "[DONE]"


def _done_before_terminal(stream: Stream) -> None:
    stream.frames[:] = [f for f in stream.frames if not _is_done_marker(f)]
    at = stream.frames.index(terminal(stream))
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
        stream.frames.remove(middle(deltas(stream, kind)))
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
    for part in text_parts(terminal(stream).data["response"]):
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
    reply=on_stream(terminal_response(output=[])),
    fast=True,
)


def _arguments_delta_differs(stream: Stream) -> None:
    frame = first(deltas(stream, "response.function_call_arguments.delta"))
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
    reply=on_stream(terminal_response(status="in_progress")),
)
contract(
    "response_id_changes",
    "relay that rewrites ids in the terminal event only",
    "stream.lifecycle.response_id",
    reply=on_stream(terminal_response(id="resp_relay_rewritten")),
)
contract(
    "summary_delta_dropped",
    "relay that drops reasoning summary deltas it does not understand",
    "stream.assembly.reasoning_summary",
    (STREAM_REASONING,),
    reply=on_stream(_drop_middle("response.reasoning_summary_text.delta")),
)
