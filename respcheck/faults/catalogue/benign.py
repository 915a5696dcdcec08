"""Benign variations: what a relay may legitimately do, so respcheck must stay silent (no error
finding)."""

from __future__ import annotations

from respcheck.faults import hostile
from respcheck.faults.edits import (
    error_of,
    on_json,
    on_stream,
    reorder_keys,
)
from respcheck.faults.model import Frame, Reply, State, Stream
from respcheck.faults.registry import (
    UNKNOWN_ID,
    benign,
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
        error = error_of(reply)
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
    error = error_of(reply)
    if token and error is not None:
        error["message"] = f"{error.get('message')} (request made with key {token})"


benign(
    "key_echoed_in_errors",
    "relay that echoes the caller's API key in error messages (OpenAI echoes it masked); "
    "the secret scan proves it never reaches a report",
    (UNKNOWN_ID,),
    reply=on_json(_echo_key_in_errors, success=False),
)
