"""A minimal forwarding relay (ASGI): every request goes to an upstream base URL, its answer comes back
as it streams. Put the fault layer in front of it and it is a relay with a known fault over a faithful
upstream: what the differential checks (respcheck.differential) must tell apart from a faithful chain."""

from __future__ import annotations

from typing import Any

import httpx

# headers that describe one hop, not the message: never forwarded
_HOP = frozenset({b"host", b"content-length", b"connection", b"transfer-encoding", b"content-encoding",
                  b"keep-alive", b"accept-encoding"})


class ForwardingRelay:
    """``ForwardingRelay("http://127.0.0.1:8787/v1")``: /v1/responses... is sent on to that URL."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        path = scope["path"].removeprefix("/v1")
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + path + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as client,
            client.stream(scope["method"], url, content=body, headers=headers) as answer,
        ):
            kept = [(k, v) for k, v in answer.headers.raw if k.lower() not in _HOP]
            await send({"type": "http.response.start", "status": answer.status_code, "headers": kept})
            async for chunk in answer.aiter_bytes():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
