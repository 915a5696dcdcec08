"""The fault layer: an ASGI middleware in front of the honest reference app.

It plays a broken relay: it reads the client's request, lets the active faults edit it,
forwards it to the honest app, collects the honest answer, lets the faults edit that, and
sends the result (or lets a fault take over delivery: hang, drip, reset...). With no
active fault it is a plain pass-through.

Faults are chosen for the whole server (``respcheck serve --fault a,b``) and, only when the
server was started with ``allow_header=True`` (respcheck's own tests and ``selftest``), per
request with the ``X-Respcheck-Fault: a,b`` header. ``rotate=True`` gives each request the
next of the server-wide faults in turn (one run then meets every fault).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

from respcheck.exchange import endpoint_of
from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.model import Fault, Frame, NotApplicable, Reply, Req, State, Stream, Wire
from respcheck.faults.wire import InjectedReset, deliver
from respcheck.server.errors import APIError, error_body, request_too_large
from respcheck.server.request_json import MAX_BODY_BYTES
from respcheck.sse import parse_sse

FAULT_HEADER = "x-respcheck-fault"


class _QuietInjectedResets(logging.Filter):
    """uvicorn logs every exception that ends a response; an injected reset is no bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedReset)


_FILTER = _QuietInjectedResets()


class UnknownFault(ValueError):
    pass


class FaultLayer:
    """ASGI app: ``FaultLayer(app, faults=[...], allow_header=False, rotate=False)``."""

    def __init__(
        self,
        app: Any,
        faults: Iterable[Fault] = (),
        *,
        allow_header: bool = False,
        rotate: bool = False,
        catalogue: dict[str, Fault] | None = None,
    ) -> None:
        self.app = app
        self.faults = list(faults)
        self.allow_header = allow_header
        self.catalogue = _catalogue(catalogue)
        self._turn = itertools.count() if rotate else None
        self._states: dict[str, State] = {}
        logger = logging.getLogger("uvicorn.error")
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

    @property
    def state(self) -> Any:
        """The wrapped app's state (the server's shutdown hook reads it)."""
        return self.app.state

    def _active(self, scope: dict[str, Any]) -> list[Fault]:
        if self._turn is not None and self.faults:
            chosen = [self.faults[next(self._turn) % len(self.faults)]]
        else:
            chosen = list(self.faults)
        if self.allow_header:
            for name, value in scope.get("headers") or ():
                if name.decode("latin-1").lower() == FAULT_HEADER:
                    chosen += resolve(value.decode("latin-1"), self.catalogue)
        return chosen

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            faults = self._active(scope)
        except UnknownFault as exc:
            await _send_json(send, 400, error_body(APIError(400, str(exc), code="unknown_fault")))
            return
        if not faults:
            await self.app(scope, receive, send)
            return
        await self._serve(scope, receive, send, faults)

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any, faults: list[Fault]) -> None:
        raw = await _read_body(receive)
        if raw is None:  # the honest server's own limit, before anything is buffered whole
            err = request_too_large(MAX_BODY_BYTES)
            await _send_json(send, err.status, error_body(err))
            return
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        try:
            req = _request(scope, raw)
            answer: Reply | None = None
            for fault in faults:
                if fault.request is not None and answer is None:
                    answer = fault.request(req, self._state(fault))

            async def forward() -> Reply:
                reply = answer or await _call_app(self.app, scope, req)
                for fault in faults:
                    if fault.reply is not None:
                        with contextlib.suppress(NotApplicable):  # nothing here for this fault to break
                            fault.reply(reply, self._state(fault))
                return reply

            wire = Wire(send, gone)
            takeover = next((f for f in reversed(faults) if f.respond is not None), None)
            if takeover is not None and takeover.respond is not None:
                await takeover.respond(req, wire, forward, self._state(takeover))
            else:
                await deliver(await forward(), wire)
        finally:
            watcher.cancel()

    def _state(self, fault: Fault) -> State:
        return self._states.setdefault(fault.name, {})


def resolve(names: str | Iterable[str], catalogue: dict[str, Fault] | None = None) -> list[Fault]:
    """Catalogue entries by name (``"a,b"`` or a list); an unknown name raises UnknownFault."""
    catalogue = _catalogue(catalogue)
    if isinstance(names, str):
        names = names.split(",")
    out = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        if name not in catalogue:
            raise UnknownFault(f"unknown fault {name!r} (respcheck selftest --list shows them all)")
        out.append(catalogue[name])
    return out


def _catalogue(given: dict[str, Fault] | None) -> dict[str, Fault]:
    return CATALOGUE if given is None else given


# -- ASGI plumbing ----------------------------------------------------------------------------------


async def _read_body(receive: Any) -> bytes | None:
    """The whole request body; None when it exceeds the server's ``MAX_BODY_BYTES`` (read to its end)."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks) if size <= MAX_BODY_BYTES else None


async def _watch_disconnect(receive: Any, gone: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


def _headers(pairs: Iterable[tuple[bytes, bytes]] | None) -> dict[str, str]:
    """ASGI header pairs as a dict with lower-case names."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in pairs or ()}


def _request(scope: dict[str, Any], raw: bytes) -> Req:
    headers = _headers(scope.get("headers"))
    path = scope.get("path") or unquote(scope.get("raw_path", b"/").decode("latin-1"))
    body: Any = None
    if raw:
        with contextlib.suppress(ValueError):
            body = json.loads(raw)
    return Req(
        method=scope["method"],
        path=path,
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        raw=raw,
        endpoint=endpoint_of(scope["method"], path),
    )


async def _call_app(app: Any, scope: dict[str, Any], req: Req) -> Reply:
    """Run the honest app on the (edited) request and collect its whole answer."""
    body = req.raw if req.body is None else json.dumps(req.body).encode()
    headers = [(k, v) for k, v in scope.get("headers") or () if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    # a fault may have re-routed the request (a cancel forwarded as a retrieve)
    # raw_path is the path as sent: percent-encoded ASCII (an id like "Þ€" is not Latin-1 text)
    raw_path = scope.get("raw_path") if req.path == scope.get("path") else None
    inner_scope = dict(
        scope,
        headers=headers,
        method=req.method,
        path=req.path,
        raw_path=raw_path or quote(req.path, safe="/:@!$&'()*+,;=-._~").encode("ascii"),
    )
    delivered = False
    start: dict[str, Any] = {}
    chunks: list[bytes] = []
    done = asyncio.Event()

    async def inner_receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()  # the client is still there for the honest app until we have its answer
        return {"type": "http.disconnect"}

    async def inner_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    try:
        await app(inner_scope, inner_receive, inner_send)
    finally:
        done.set()
    return _reply(req, start, b"".join(chunks))


def _reply(req: Req, start: dict[str, Any], raw: bytes) -> Reply:
    headers = _headers(start.get("headers"))
    reply = Reply(status=int(start.get("status", 500)), headers=headers, request=req)
    media = headers.get("content-type", "").split(";")[0].strip()
    if media == "text/event-stream":
        events, _ = parse_sse(raw)
        frames = [Frame(e.event, e.json if e.json is not None else e.data) for e in events]
        reply.stream = Stream(frames)
    elif media == "application/json":
        try:
            reply.body = json.loads(raw)
        except ValueError:
            reply.raw = raw
    else:
        reply.raw = raw
    return reply


async def _send_json(send: Any, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data, "more_body": False})
