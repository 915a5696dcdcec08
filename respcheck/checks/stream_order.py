"""Checks: the order of a streamed response's events: the first and the terminal event, sequence
numbers, and the response lifecycle the events report (status, id, in_progress before output).

Rules come from the OpenAI OpenAPI description (``ResponseStreamEvent``) and the Open Responses
specification; the SSE framing and envelope are ``stream_framing``, items and assembly ``stream``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from respcheck.checks.common import (
    STREAM_ENDPOINTS,
    TERMINAL_EVENTS,
    event_ptr,
    positions_by_type,
    responses_stream,
    stream_view,
    typed_events,
    typed_events_of,
)
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange, SSEEvent
from respcheck.findings import Severity

LIFECYCLE_STATUS = {
    "response.created": ("queued", "in_progress"),
    "response.queued": ("queued",),
    "response.in_progress": ("in_progress",),
    # A cancelled background response may end its stream with status "cancelled".
    "response.completed": ("completed",),
    "response.failed": ("failed", "cancelled"),
    "response.incomplete": ("incomplete", "cancelled"),
}
# Events that belong to an output item: once one has been sent, the response is under way.
_ITEM_STARTED = "response.output_item.added"


# -- order: first event, terminal event, sequence numbers -------------------------------------------


@check(
    "stream.first_event",
    clause="OpenAI API, streaming: a stream opens with response.created (response.queued may open a "
    "background response); a resumed stream (starting_after) opens wherever it resumes",
    summary="the first event is response.created (or response.queued for background mode)",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def first_event(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex) or ex.starting_after is not None:
        return
    first = next(iter(typed_events(ex)), None)
    if first is None:
        return  # stream.terminal.present reports an empty stream
    e, data, kind = first
    if kind in ("response.created", "error"):
        return  # an error event opening the stream is reported by stream.error_event
    if kind == "response.queued" and _background(ex, data):
        return
    expected = "response.created (or response.queued)" if _background(ex, data) else "response.created"
    yield Violation(
        f"the stream opens with {kind} (event {e.index}), not {expected}; openai-python raises "
        "'Expected to have received `response.created` before ...'",
        event_ptr(e.index, "type"),
    )


def _background(ex: Exchange, first: dict[str, Any]) -> bool:
    body = ex.request.body
    if isinstance(body, dict) and body.get("background") is True:
        return True
    response = first.get("response")
    return isinstance(response, dict) and response.get("status") == "queued"


@check(
    "stream.terminal.present",
    clause="OpenAI API, streaming: a stream ends with response.completed, response.failed or "
    "response.incomplete; without one it was cut",
    summary="the stream has a terminal event",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def terminal_present(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    positions = positions_by_type(ex)
    if any(kind in positions for kind in TERMINAL_EVENTS):
        return
    typed = typed_events(ex)
    last = (typed[-1][0], typed[-1][2]) if typed else None
    if last is not None and last[1] == "error":
        return  # a stream that ends on an error event is reported by stream.error_event
    if last is None:
        yield Violation("the stream carries no Responses event at all", "/response/events")
        return
    e, kind = last
    cause = f" ({ex.broken})" if ex.broken else ""
    yield Violation(
        f"the stream ended after event {e.index} ({kind}) with no response.completed, .failed or "
        f".incomplete: it was cut{cause}, and clients never get the final response",
        f"/response/events/{e.index}",
    )


@check(
    "stream.terminal.unique",
    clause="OpenAI API, streaming: exactly one terminal event (response.completed / .failed / .incomplete)",
    summary="the stream has at most one terminal event",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def terminal_unique(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    first: SSEEvent | None = None
    for e, _, kind in typed_events_of(ex, TERMINAL_EVENTS):
        if first is None:
            first = e
            continue
        yield Violation(
            f"event {e.index} ({kind}) is a second terminal event (the first was event {first.index}, "
            f"{first.type}); clients take whichever they see first",
            event_ptr(e.index, "type"),
        )


@check(
    "stream.terminal.last",
    clause="OpenAI API, streaming: the terminal event is the last event of the stream",
    summary="no Responses event follows the terminal event",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def terminal_last(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    positions = positions_by_type(ex)
    at = min((positions[kind][0] for kind in TERMINAL_EVENTS if kind in positions), default=None)
    if at is None:
        return
    typed = typed_events(ex)
    terminal = typed[at][0]
    for e, _, kind in typed[at + 1 :]:
        if kind not in TERMINAL_EVENTS:  # a second terminal is stream.terminal.unique's
            yield Violation(
                f"event {e.index} ({kind}) comes after the terminal event {terminal.type} "
                f"(event {terminal.index}); clients have stopped listening by then",
                event_ptr(e.index, "type"),
            )
            return


@check(
    "stream.error_event",
    severity=Severity.WARNING,
    clause="OpenAI API, ResponseErrorEvent: an `error` event reports a failure inside a 200 stream",
    summary="the stream reports a failure with an error event",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def error_event(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    for e, data, _ in typed_events_of(ex, ("error",)):
        code = data.get("code")
        message = data.get("message")
        if isinstance(data.get("error"), dict):  # a Chat-style nesting some relays use
            code = code or data["error"].get("code")
            message = message or data["error"].get("message")
        yield Violation(
            f"event {e.index} is an error event (code {code!r}: {str(message)[:120]!r}); the "
            "response failed inside a 200 stream",
            event_ptr(e.index),
        )


@check(
    "stream.sequence_number.present",
    clause="OpenAI API, ResponseStreamEvent: every event has an integer sequence_number "
    "(required; spring-2025 streams that predate it are still reported)",
    summary="every event carries an integer sequence_number",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def sequence_number_present(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    numbering = stream_view(ex).numbering  # which events are numbered: common.Numbering
    missing = numbering.unnumbered
    if missing:
        which = "no event carries" if len(missing) == numbering.count else (
            f"{len(missing)} of {numbering.count} events lack"
        )
        yield Violation(
            f"{which} an integer sequence_number (first without one: event {missing[0]}); clients "
            "cannot order, deduplicate or resume the stream",
            event_ptr(missing[0], "sequence_number"),
        )


@check(
    "stream.sequence_number.start",
    clause="OpenAI API, streaming: sequence_number starts at 0, or at starting_after + 1 when a "
    "retrieve stream resumes",
    summary="the first sequence_number is 0 (starting_after + 1 on resume)",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def sequence_number_start(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    first = stream_view(ex).numbering.first
    if first is None:
        return
    e, data, _ = first
    seq = data.get("sequence_number")
    if not _is_int(seq):
        return  # stream.sequence_number.present reports it
    resume = ex.starting_after
    expected = 0 if resume is None else resume + 1
    if seq != expected:
        why = "a stream starts at 0" if resume is None else f"starting_after={resume} resumes at {expected}"
        yield Violation(
            f"the first event (event {e.index}) has sequence_number {seq}, but {why}",
            event_ptr(e.index, "sequence_number"),
        )


@check(
    "stream.sequence_number.monotonic",
    clause="OpenAI API, streaming: sequence_number grows by exactly 1 from one event to the next",
    summary="sequence_number rises by 1 each event: no gap, duplicate or reset",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def sequence_number_monotonic(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    # Judged on the events with an integer number (stream.sequence_number.present reports the rest).
    for index, previous, seq in stream_view(ex).numbering.faults:
        yield Violation(_sequence_fault(index, previous, seq), event_ptr(index, "sequence_number"))


def _sequence_fault(index: int, previous: int, seq: int) -> str:
    if seq == previous:
        return f"event {index} repeats sequence_number {seq}: a duplicate"
    if seq > previous:
        missing = seq - previous - 1
        return (
            f"event {index} jumps from sequence_number {previous} to {seq}: "
            f"{missing} event(s) missing (dropped by the relay?)"
        )
    if seq == 0:
        return f"event {index} resets sequence_number to 0 after {previous}: two streams spliced together?"
    return f"event {index} goes back from sequence_number {previous} to {seq}: events out of order"


def _is_int(value: Any) -> TypeGuard[int]:
    return type(value) is int  # not isinstance: a boolean is no sequence number


# -- the response lifecycle -------------------------------------------------------------------------


@check(
    "stream.lifecycle.status",
    clause="OpenAI API, streaming: response.created carries a queued or in_progress Response, "
    ".queued a queued one, .in_progress an in_progress one, and each terminal event the status "
    "it names (completed / failed / incomplete; cancelled for a cancelled background response)",
    summary="each lifecycle event carries a Response whose status matches the event",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def lifecycle_status(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    for e, data, kind in typed_events_of(ex, LIFECYCLE_STATUS):
        allowed = LIFECYCLE_STATUS[kind]
        response = data.get("response")
        if not isinstance(response, dict):
            continue  # the event schema requires the response; that check names it
        status = response.get("status")
        if status not in allowed:
            yield Violation(
                f"event {e.index} ({kind}) carries a Response with status {status!r}; "
                f"expected {' or '.join(repr(s) for s in allowed)}",
                event_ptr(e.index, "response", "status"),
            )


@check(
    "stream.lifecycle.response_id",
    clause="OpenAI API, streaming: every lifecycle event of one stream describes the same Response",
    summary="created / in_progress / terminal events carry the same response id",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def lifecycle_response_id(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    first: tuple[int, Any] | None = None
    for e, data, kind in typed_events_of(ex, LIFECYCLE_STATUS):
        response = data.get("response")
        if not isinstance(response, dict) or "id" not in response:
            continue
        if first is None:
            first = (e.index, response["id"])
        elif response["id"] != first[1]:
            yield Violation(
                f"event {e.index} ({kind}) is about response {response['id']!r}, but event {first[0]} "
                f"was about {first[1]!r}: one stream, one response",
                event_ptr(e.index, "response", "id"),
            )


@check(
    "stream.lifecycle.in_progress_order",
    clause="OpenAI API, streaming: response.in_progress announces the response before its output; "
    "it never follows output events",
    summary="response.in_progress comes before any output item",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def in_progress_before_output(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not responses_stream(ex):
        return
    positions = positions_by_type(ex)
    starts = [p[0] for kind, p in positions.items() if kind == _ITEM_STARTED or ".delta" in kind]
    if not starts:
        return
    started = min(starts)  # the first output event: an item added, or any delta
    typed = typed_events(ex)
    for position in positions.get("response.in_progress", ()):
        if position > started:
            e = typed[position][0]
            yield Violation(
                f"response.in_progress (event {e.index}) comes after output already started at event "
                f"{typed[started][0].index}",
                event_ptr(e.index, "type"),
            )
