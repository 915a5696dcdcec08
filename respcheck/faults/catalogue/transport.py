"""Hostile transport: hangs, drips, resets, huge or invalid bodies, transient refusals; each must
end within its ``bound`` (seconds) with a clear finding, or (429, 503) be absorbed by the retry."""

from __future__ import annotations

from respcheck.faults import hostile
from respcheck.faults.edits import (
    deltas,
    middle,
    on_json,
    on_stream,
)
from respcheck.faults.model import Stream, encode_frame
from respcheck.faults.registry import (
    CREATE_JSON,
    STREAM_TEXT,
    transport,
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
    frame = middle(deltas(stream))
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
