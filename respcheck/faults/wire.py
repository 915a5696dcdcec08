"""How a fault layer's answer goes out on the wire: the ordinary delivery, and the pieces hostile
deliveries (hostile.py) are built from. Apart from layer.py so the catalogue's hostile faults and
the layer that looks them up import it without importing each other."""

from __future__ import annotations

import asyncio
import contextlib

from respcheck.faults.model import Reply, Wire, encode_frames

_NEVER = 3600.0  # how long a hostile hang may last at most (the client gives up long before)


class InjectedReset(Exception):
    """Raised by a fault to make the server drop the connection mid-response (uvicorn closes it)."""


def wire_headers(reply: Reply, length: int | None) -> dict[str, str]:
    """The reply's headers with a content-length matching what will be sent (or none: chunked)."""
    headers = {k: v for k, v in reply.headers.items() if k != "content-length"}
    if length is not None:
        headers["content-length"] = str(length)
    return headers


async def deliver(reply: Reply, wire: Wire) -> None:
    """The ordinary way out: a JSON body at once, a stream one write per event."""
    if reply.stream is None:
        body = reply.encode()
        await wire.start(reply.status, wire_headers(reply, len(body)))
        await wire.write(body, more=False)
        return
    await wire.start(reply.status, wire_headers(reply, None))
    for chunk in encode_frames(reply.stream):
        await wire.write(chunk)
    await wire.end()


async def wait_until_gone(wire: Wire, limit: float = _NEVER) -> None:
    """Hold the connection open until the client gives up (bounded by ``limit`` seconds)."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(wire.gone.wait(), limit)
