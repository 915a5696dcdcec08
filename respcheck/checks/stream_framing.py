"""Checks: a stream's framing and envelope: the SSE byte stream (``sse.framing.*``, found by the
parser), the content type, event names, JSON data with a type, and the ``[DONE]`` marker.

Rules come from the WHATWG server-sent events grammar, the OpenAI OpenAPI description and the
Open Responses specification (which requires ``event:`` lines and ``[DONE]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from respcheck.checks.common import (
    STREAM_ENDPOINTS,
    event_ptr,
    is_success,
    responses_stream,
    stream_view,
)
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange
from respcheck.findings import Severity
from respcheck.jsontypes import clipped

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
    if not responses_stream(ex):
        return
    for e, kind in stream_view(ex).misnamed:  # an absent or empty name is stream.event_name.present's
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
    if not responses_stream(ex):
        return
    unnamed = stream_view(ex).unnamed
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
    if not responses_stream(ex):
        return
    for e in stream_view(ex).not_json:
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
    if not responses_stream(ex):
        return
    for e in stream_view(ex).not_objects:  # not JSON at all: stream.data.json
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
    if not responses_stream(ex):
        return
    done = stream_view(ex).first_done
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
    if not responses_stream(ex):
        return
    events = ex.events or []
    first_done = stream_view(ex).first_done
    done = first_done.index if first_done is not None else None
    if done is not None and done < len(events) - 1:
        after = len(events) - 1 - done
        yield Violation(
            f"{after} event(s) follow the [DONE] marker at event {done}; clients stop reading at "
            "[DONE] and never see them",
            f"/response/events/{done + 1}",
        )
