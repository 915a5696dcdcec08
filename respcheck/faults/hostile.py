"""Delivery that a hostile or flaky target inflicts: ``respond`` hooks for the catalogue.

Each takes over how (and whether) bytes go out: hang, drip, reset, flood, stream forever,
burst after a wait, split at odd places, refuse with 429/503 before answering. Every loop
ends when the client goes away (``wire.gone``) and is bounded in time besides, so a test
that gives up never leaves the server busy.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from respcheck.faults.model import (
    Frame,
    Reply,
    Req,
    RespondHook,
    State,
    Stream,
    Wire,
    encode_frame,
    encode_frames,
)
from respcheck.faults.wire import InjectedReset, deliver, wait_until_gone, wire_headers
from respcheck.server.errors import APIError, error_body

Forward = Callable[[], Awaitable[Reply]]
MB = 1024 * 1024
_LIMIT = 120.0  # no hostile loop outlives this many seconds, client or not


async def hang_before_headers(req: Req, wire: Wire, forward: Forward, state: State) -> None:
    """Accept the request, then say nothing at all until the client gives up."""
    await wait_until_gone(wire, _LIMIT)


async def slow_drip(req: Req, wire: Wire, forward: Forward, state: State) -> None:
    """Send the honest answer one byte a second."""
    reply = await forward()
    body = reply.encode()
    await wire.start(reply.status, wire_headers(reply, None))
    loop = asyncio.get_running_loop()
    ends = loop.time() + _LIMIT
    for i in range(len(body)):
        if wire.gone.is_set() or loop.time() > ends:
            return
        await wire.write(body[i : i + 1])
        await wait_until_gone(wire, 1.0)  # a second, or less if the client goes
    await wire.end()


async def reset_mid_stream(req: Req, wire: Wire, forward: Forward, state: State) -> None:
    """Send half the events, then drop the connection without ending the body."""
    reply = await forward()
    if reply.stream is None:
        await deliver(reply, wire)
        return
    chunks = list(encode_frames(reply.stream))
    await wire.start(reply.status, wire_headers(reply, None))
    for chunk in chunks[: len(chunks) // 2]:
        await wire.write(chunk)
    raise InjectedReset("injected: connection reset mid-stream")


def huge_body(size: int = 50 * MB, chunk: int = MB) -> RespondHook:
    """A 200 JSON body of ``size`` bytes (a relay that forwards a runaway upstream answer)."""

    async def respond(req: Req, wire: Wire, forward: Forward, state: State) -> None:
        head = b'{"id":"resp_huge","object":"response","padding":"'
        await wire.start(200, {"content-type": "application/json"})
        await wire.write(head)
        sent = len(head)
        block = b"x" * chunk
        while sent < size - 2 and not wire.gone.is_set():
            part = block[: min(chunk, size - 2 - sent)]
            await wire.write(part)
            sent += len(part)
            await asyncio.sleep(0)
        if not wire.gone.is_set():
            await wire.write(b'"}', more=False)

    return respond


async def endless_stream(req: Req, wire: Wire, forward: Forward, state: State) -> None:
    """The honest stream's opening, then output_text deltas forever (no terminal event)."""
    reply = await forward()
    if reply.stream is None:
        await deliver(reply, wire)
        return
    frames = reply.stream.frames
    at = next((i for i, f in enumerate(frames) if f.type == "response.output_text.delta"), None)
    if at is None:
        await deliver(reply, wire)
        return
    await wire.start(reply.status, wire_headers(reply, None))
    for chunk in encode_frames(Stream(frames[:at])):
        await wire.write(chunk)
    delta: dict[str, Any] = dict(frames[at].data, delta=" and on")
    loop = asyncio.get_running_loop()
    ends = loop.time() + _LIMIT
    seq = int(delta.get("sequence_number") or 0)
    while not wire.gone.is_set() and loop.time() < ends:
        batch = []
        for _ in range(32):  # a fast upstream: about 10 MB/s, so the body cap is what stops it
            delta["sequence_number"] = seq
            batch.append(encode_frame(Frame(delta["type"], delta)))
            seq += 1
        await wire.write(b"".join(batch))
        await asyncio.sleep(0.001)


def burst_after(delay: float) -> RespondHook:
    """Hold the whole answer, then send it in one write after ``delay`` seconds (a buffering relay)."""

    async def respond(req: Req, wire: Wire, forward: Forward, state: State) -> None:
        reply = await forward()
        await asyncio.sleep(delay)
        body = reply.encode()
        await wire.start(reply.status, wire_headers(reply, None if reply.stream else len(body)))
        await wire.write(body, more=False)

    return respond


def split_anywhere(seed: int = 7, largest: int = 9) -> RespondHook:
    """Send the answer in chunks of 1..``largest`` bytes, cut anywhere (mid-line, mid-CRLF)."""

    async def respond(req: Req, wire: Wire, forward: Forward, state: State) -> None:
        reply = await forward()
        if reply.stream is None:
            await deliver(reply, wire)
            return
        body = reply.encode()
        rng = random.Random(seed)
        await wire.start(reply.status, wire_headers(reply, None))
        at = 0
        while at < len(body):
            step = rng.randint(1, largest)
            await wire.write(body[at : at + step])
            at += step
            await asyncio.sleep(0)
        await wire.end()

    return respond


def refuse_first(status: int, every: int, retry_after: str | None) -> RespondHook:
    """Answer ``status`` (429/503) to ``every - 1`` of each ``every`` requests, then serve one."""

    async def respond(req: Req, wire: Wire, forward: Forward, state: State) -> None:
        turn = state.get("turn", 0)
        state["turn"] = turn + 1
        if turn % every == every - 1:
            await deliver(await forward(), wire)
            return
        kind = {429: ("rate_limit_exceeded", "requests"), 503: ("service_unavailable", "server_error")}
        code, error_type = kind.get(status, ("server_error", "server_error"))
        body = error_body(APIError(status, f"injected {status}: try again later", type=error_type, code=code))
        headers = {"content-type": "application/json"}
        if retry_after is not None:
            headers["retry-after"] = retry_after
        await deliver(Reply(status, headers, req, body=body), wire)

    return respond
