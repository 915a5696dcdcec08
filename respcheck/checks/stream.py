"""Checks: a streamed response (SSE framing, the event envelope, order, items, assembly).

Each check is one pass over the events. The events with a typed JSON payload are listed
once per exchange (``common.typed_events``), and the item state machine and the assembly
rules share a single walk (``stream_items.walk``); both are computed once for the exchange
being judged (``common.per_exchange``), so the dozen checks built on the walk cost one pass
together.

Namespaces: ``sse.*`` judges the byte stream (found by the parser), ``stream.*`` the
Responses events carried in it. Rules come from the OpenAI OpenAPI description
(``ResponseStreamEvent`` and its members), the Open Responses specification, and what
openai-python's ``ResponseStream`` relies on (``lib/streaming/responses/_responses.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from respcheck.checks import stream_items
from respcheck.checks.common import (
    TERMINAL_EVENTS,
    TypedEvent,
    event_ptr,
    is_success,
    is_vendor_event,
    per_exchange,
    positions_by_type,
    typed_events,
    typed_events_of,
)
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange, SSEEvent
from respcheck.findings import Severity
from respcheck.jsontypes import clipped

# Streams of Response events come from create (stream: true) and retrieve (?stream=true).
STREAM_ENDPOINTS = ("create", "retrieve")
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
# A stream is "buffered" when this many events arrive inside _BURST seconds, after a wait
# long enough to show the server was generating meanwhile: at least _MIN_WAIT seconds and
# _BURST_RATIO times the burst. A fast server (the reference target with no latency answers
# in ~50 ms, all events in ~1 ms) is not evidence of buffering, so the wait must be long.
_BUFFERED_MIN_EVENTS = 10
_BURST = 0.010
_BURST_RATIO = 20
_MIN_WAIT = 0.5


def _responses_stream(ex: Exchange) -> bool:
    """A 2xx stream of Responses events (error statuses are the errors module's business)."""
    return ex.events is not None and is_success(ex)


# The item state machine and assembly rules of one stream, walked once for all their checks.
_walk = per_exchange(stream_items.walk)


# -- SSE framing ------------------------------------------------------------------------------

# kind -> (severity, clause, summary: the rule, fault: what breaking it means)
_FRAMING = {
    "invalid_utf8": (
        Severity.ERROR,
        "WHATWG HTML, server-sent events: the stream is UTF-8",
        "the SSE byte stream is valid UTF-8",
        "the SSE stream holds bytes that are not UTF-8 (openai-python's decoder raises "
        "UnicodeDecodeError on them)",
    ),
    "unterminated_block": (
        Severity.ERROR,
        "WHATWG HTML, server-sent events: an event is dispatched only at a blank line",
        "every event ends with a blank line, the last one too",
        "the stream ended inside an event (no blank line after it): strict SSE clients, "
        "openai-python included, drop that last event",
    ),
    "dataless_block": (
        Severity.ERROR,
        "WHATWG HTML, server-sent events: a block without data dispatches nothing",
        "every block with an event: line has a data: line",
        "a block with an event: line but no data: line; browsers ignore it, but openai-python "
        "hands it on with empty data and fails to parse it as JSON",
    ),
    "bad_retry": (
        Severity.WARNING,
        "WHATWG HTML, server-sent events: retry is ASCII digits, else ignored",
        "retry: values are ASCII digits",
        "a retry: field whose value is not digits (clients ignore it)",
    ),
    "unknown_field": (
        Severity.INFO,
        "WHATWG HTML, server-sent events: fields other than event/data/id/retry are ignored",
        "only event, data, id and retry fields (and comments) are sent",
        "an SSE field other than event, data, id or retry (clients ignore it)",
    ),
}


def _framing_check(kind: str, severity: Severity, clause: str, summary: str, fault: str) -> None:
    def framing(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
        count = len(ex.events or ())
        for issue in ex.framing:
            if issue.kind == kind:
                index = issue.event_index
                known = index is not None and index < count
                at = f"/response/events/{index}" if known else "/response/events"
                where = f" (event {index})" if known else " (after the last event)"
                yield Violation(f"{fault}{where}: {issue.detail}", at)

    framing.__name__ = f"sse_framing_{kind}"
    check(f"sse.framing.{kind}", severity=severity, clause=clause, summary=summary, applies="stream")(framing)


for _kind, _rule in _FRAMING.items():
    _framing_check(_kind, *_rule)


# -- the envelope: content type, event names, JSON data, [DONE] ------------------------------------


@check(
    "stream.content_type",
    clause="OpenAI API, streaming responses: a stream is served as text/event-stream",
    summary="a streamed 2xx response has content type text/event-stream (and stream: true gets a stream)",
    endpoints=STREAM_ENDPOINTS,
)
def content_type_is_event_stream(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not is_success(ex):
        return
    if ex.events is not None:
        if not ex.content_type and not ex.headers_recorded:
            # On the wire a missing content type is an error; in a recording that kept no
            # headers it is unknown: noted (and counted), never judged.
            yield Violation(
                "the recording kept no response headers: the stream's content type is unknown, "
                "not judged",
                "/response/content_type",
                Severity.INFO,
            )
        elif ex.media_type != "text/event-stream":
            yield Violation(
                f"the stream is served as {ex.content_type or 'no content type'!r}, not text/event-stream; "
                "SSE clients (openai-python, browsers) refuse or misread it",
                "/response/content_type",
            )
    elif _stream_requested(ex):
        yield Violation(
            f"the request asked for a stream but got a {ex.content_type or 'untyped'} body, not "
            "text/event-stream: streaming clients wait for events that never come",
            "/response/content_type",
        )


def _stream_requested(ex: Exchange) -> bool:
    if ex.endpoint == "create":
        body = ex.request.body
        return isinstance(body, dict) and body.get("stream") is True
    return str(ex.request.query.get("stream", "")).lower() == "true"


@check(
    "stream.event_name.matches_type",
    clause="OpenAI API, ResponseStreamEvent: each event is sent as `event: <type>` with data.type == <type>",
    summary="the SSE event: name equals the type in the event's data",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def event_name_matches_type(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    for e, _, kind in typed_events(ex):
        if e.event and e.event != kind:  # an absent or empty name is stream.event_name.present's
            yield Violation(
                f"event {e.index} is named {e.event!r} on its event: line but its data says type "
                f"{kind!r}; clients dispatch on one or the other and disagree",
                event_ptr(e.index, "type"),
            )


@check(
    "stream.event_name.present",
    severity=Severity.INFO,
    clause="openai: the event: line is optional (clients read data.type; info); "
    "Open Responses: every event carries an event: line naming its type (error)",
    summary="each event has an SSE event: line (required by the openresponses profile)",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def event_name_present(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    unnamed = [e.index for e, _, _ in typed_events(ex) if not e.event]
    if not unnamed:
        return
    required = ctx.profile.event_names == "required"
    consequence = (
        "the Open Responses contract requires one on every event"
        if required
        else "OpenAI sends one; clients that dispatch on it see only unnamed 'message' events"
    )
    yield Violation(
        f"{len(unnamed)} event(s) have no event: line (first: event {unnamed[0]}); {consequence}",
        f"/response/events/{unnamed[0]}/event",
        Severity.ERROR if required else None,
    )


@check(
    "stream.data.json",
    clause="OpenAI API, streaming: every event's data is one JSON object (a final `[DONE]` aside)",
    summary="every data: payload parses as JSON, except the [DONE] marker",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def data_is_json(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    for e in ex.events or ():
        if e.json_error is not None and not e.is_done_marker:
            yield Violation(
                f"event {e.index} carries data that is not JSON ({e.json_error}): {clipped(e.data)!r}",
                f"/response/events/{e.index}/data",
            )


@check(
    "stream.data.type",
    clause="OpenAI API, ResponseStreamEvent: each event is an object with a string `type`",
    summary="every JSON event is an object with a string type",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def data_has_type(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    for e in ex.events or ():
        if e.json is None and (e.json_error is not None or e.is_done_marker):
            continue  # not JSON at all: stream.data.json
        if not isinstance(e.json, dict):
            yield Violation(
                f"event {e.index} carries a JSON {_json_kind(e.json)}, not an event object",
                f"/response/events/{e.index}/data",
            )
        elif not isinstance(e.json.get("type"), str):
            yield Violation(
                f"event {e.index} has no string type field, so no client can tell what it is",
                event_ptr(e.index, "type"),
            )


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {list: "array", str: "string", int: "number", float: "number"}.get(type(value), "value")


@check(
    "stream.done_marker",
    severity=Severity.INFO,
    clause="openai: OpenAI ends a Responses stream with the terminal event and sends no [DONE] "
    "(tolerated: openai-python stops reading at it; info); Open Responses: the stream ends with "
    "`data: [DONE]` (error when missing)",
    summary="[DONE] is reported under openai and required under openresponses",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def done_marker(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    done = next((e for e in ex.events or () if e.json is None and e.is_done_marker), None)
    if ctx.profile.done_marker == "required":
        if done is None:
            last = len(ex.events or ()) - 1
            yield Violation(
                "the stream does not end with data: [DONE], which the Open Responses contract requires",
                f"/response/events/{max(last, 0)}",
                Severity.ERROR,
            )
    elif done is not None:
        yield Violation(
            f"event {done.index} is a data: [DONE] marker (a Chat Completions habit); OpenAI's "
            "Responses streams have none, and openai-python stops reading at it",
            f"/response/events/{done.index}/data",
        )


@check(
    "stream.done_marker.last",
    clause="openai-python stops reading at [DONE]: nothing may follow it",
    summary="nothing follows the [DONE] marker",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def done_marker_last(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    events = ex.events or []
    done = next((e.index for e in events if e.json is None and e.is_done_marker), None)
    if done is not None and done < len(events) - 1:
        after = len(events) - 1 - done
        yield Violation(
            f"{after} event(s) follow the [DONE] marker at event {done}; clients stop reading at "
            "[DONE] and never see them",
            f"/response/events/{done + 1}",
        )


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
    if not _responses_stream(ex) or ex.starting_after is not None:
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
    if not _responses_stream(ex):
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
    if not _responses_stream(ex):
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
    if not _responses_stream(ex):
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
    if not _responses_stream(ex):
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


def _sequenced(ex: Exchange) -> Iterator[TypedEvent]:
    """The events the numbering is judged on: a relay's own vendor-prefixed event without a
    sequence_number is outside OpenAI's numbering (clients skip unknown events); one that
    carries a number takes part, so numbering vendor events in line is judged too."""
    for item in typed_events(ex):
        if is_vendor_event(item[2]) and "sequence_number" not in item[1]:
            continue
        yield item


@check(
    "stream.sequence_number.present",
    clause="OpenAI API, ResponseStreamEvent: every event has an integer sequence_number "
    "(required; spring-2025 streams that predate it are still reported)",
    summary="every event carries an integer sequence_number",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def sequence_number_present(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not _responses_stream(ex):
        return
    missing: list[int] = []
    total = 0
    for e, data, _ in _sequenced(ex):
        total += 1
        if not _is_int(data.get("sequence_number")):
            missing.append(e.index)
    if missing:
        which = "no event carries" if len(missing) == total else f"{len(missing)} of {total} events lack"
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
    if not _responses_stream(ex):
        return
    first = next(iter(_sequenced(ex)), None)
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
    if not _responses_stream(ex):
        return
    previous: int | None = None
    for e, data, _ in typed_events(ex):
        seq = data.get("sequence_number")
        if not _is_int(seq):
            continue  # stream.sequence_number.present reports it; judge the numbered events
        if previous is not None and seq != previous + 1:
            yield Violation(_sequence_fault(e.index, previous, seq), event_ptr(e.index, "sequence_number"))
        previous = seq


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
    if not _responses_stream(ex):
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
    if not _responses_stream(ex):
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
    if not _responses_stream(ex):
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


# -- items and assembly (one shared walk) ----------------------------------------------------------


def _walk_check(check_id: str, clause: str, summary: str) -> None:
    def from_walk(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
        if _responses_stream(ex):
            yield from _walk(ex).get(check_id, ())

    from_walk.__name__ = check_id.replace(".", "_")
    check(check_id, clause=clause, summary=summary, applies="stream", endpoints=STREAM_ENDPOINTS)(from_walk)


_WALK_CHECKS = {
    stream_items.ITEM_ORDER: (
        "OpenAI API, streaming: response.output_item.added opens an item before any of its events; "
        "response.output_item.done is its last, and every item is done before the terminal event "
        "(warning only when the terminal response still lists the item, as OpenAI's own "
        "mcp_list_tools items do)",
        "output items are opened before use and closed last, before the terminal event",
    ),
    stream_items.ITEM_INDEX: (
        "OpenAI API, streaming: output_index counts the response's output items from 0, without gaps",
        "output_item.added indexes run 0, 1, 2, ...",
    ),
    stream_items.ITEM_CONSISTENT: (
        "OpenAI API, streaming: an item's events agree on item_id / output_index, and text events "
        "target parts of the matching type",
        "item_id, output_index and part types agree across an item's events",
    ),
    stream_items.PART_ORDER: (
        "OpenAI API, streaming: content_part.added (reasoning_summary_part.added) opens a part before "
        "its deltas; the part's .done follows its deltas; content_index / summary_index count from 0",
        "content and summary parts open before their deltas and close after them",
    ),
    stream_items.ASSEMBLY_TEXT: (
        "openai-python ResponseStream: concatenated output_text deltas == output_text.done text == "
        "content_part.done text == the item in output_item.done == the final response's output",
        "output_text deltas assemble to the same text everywhere",
    ),
    stream_items.ASSEMBLY_REFUSAL: (
        "OpenAI API, streaming: concatenated refusal deltas == refusal.done == content_part.done == "
        "output_item.done == the final response",
        "refusal deltas assemble to the same refusal everywhere",
    ),
    stream_items.ASSEMBLY_REASONING_TEXT: (
        "OpenAI API, streaming: concatenated reasoning_text deltas == reasoning_text.done == "
        "content_part.done == output_item.done == the final response",
        "reasoning_text deltas assemble to the same text everywhere",
    ),
    stream_items.ASSEMBLY_SUMMARY: (
        "OpenAI API, streaming: concatenated reasoning_summary_text deltas == reasoning_summary_text.done "
        "== reasoning_summary_part.done == output_item.done == the final response",
        "reasoning summary deltas assemble to the same text everywhere",
    ),
    stream_items.ASSEMBLY_ARGUMENTS: (
        "openai-python ResponseStream: concatenated function_call_arguments deltas == "
        "function_call_arguments.done == the item in output_item.done == the final response",
        "function-call argument deltas assemble to the same arguments everywhere",
    ),
    stream_items.ASSEMBLY_TOOL_INPUT: (
        "OpenAI API, streaming: custom_tool_call_input / mcp_call_arguments / code_interpreter_call_code "
        "deltas == their .done == output_item.done == the final response",
        "tool input deltas (custom tool, MCP, code interpreter) assemble consistently",
    ),
    stream_items.FINAL_OUTPUT: (
        "openai-python ResponseStream: the terminal response's output holds the streamed items, with "
        "the same ids in the same order",
        "the terminal response lists the streamed items",
    ),
}

for _id, (_clause, _summary) in _WALK_CHECKS.items():
    _walk_check(_id, _clause, _summary)


# -- delivery ---------------------------------------------------------------------------------------


@check(
    "stream.buffered",
    severity=Severity.WARNING,
    clause="OpenAI API, streaming: events are sent as they are generated (a relay must not buffer "
    "the stream and release it at once); judged only with arrival times: >= 10 events within 10 ms "
    "after a wait of >= 0.5 s",
    summary="events arrive incrementally, not in one burst after a long wait (live traffic only)",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def not_buffered(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    events = ex.events or []
    if not _responses_stream(ex) or len(events) < _BUFFERED_MIN_EVENTS:
        return
    times = [e.arrived_at for e in events if e.arrived_at is not None]
    if len(times) < len(events):
        return  # recordings keep no arrival times: nothing to judge
    first, last = min(times), max(times)
    burst = last - first
    if burst <= _BURST and first >= max(_MIN_WAIT, _BURST_RATIO * burst):
        yield Violation(
            f"all {len(events)} events arrived within {burst * 1000:.1f} ms, {first:.2f} s after the "
            "request: the relay buffered the whole stream and sent it at once, so clients see no "
            "incremental output",
            "/response/events",
        )
