"""What a fault is made of: the request and the answer as the fault layer sees them, and the entry.

A fault is what a broken relay does to honest traffic. The layer (``layer.py``) hands each
hook of a ``Fault`` the traffic in an editable form:

- ``request(req, state)``: the request before it is forwarded to the honest server; edit
  ``req.body`` (parsed JSON) in place, or return a ``Reply`` to answer without forwarding;
- ``reply(reply, state)``: the honest answer before it is sent; edit ``status``,
  ``headers``, ``body`` (parsed JSON), ``raw`` (bytes sent instead of ``body``) or, for an
  event stream, ``stream.frames``;
- ``respond(req, wire, forward, state)``: takes over delivery (timing, chunking, hangs,
  resets); ``await forward()`` gives the (already edited) honest ``Reply``.

``state`` is a dict private to the fault, kept for the server's lifetime (counters, caches).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

# The reference server's compact JSON: a frame the fault leaves alone goes out byte for byte as
# the honest server wrote it.
from respcheck.server.events import encode_json as to_json

Kind = Literal["contract", "transport", "benign"]


class NotApplicable(LookupError):
    """Raised by an edit before it changes anything: this answer has nothing it can break
    (no function-call delta in a text stream...). The layer then sends the answer unchanged."""


State = dict[str, Any]


@dataclass
class Req:
    """The request as the relay received it (``body`` is its parsed JSON, or None)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any = None
    raw: bytes = b""
    endpoint: str = "unknown"


@dataclass
class Frame:
    """One SSE event: ``event:`` name (None: no event line) and ``data`` (JSON value, or text as is)."""

    event: str | None
    data: Any
    before: list[str] = field(default_factory=list)  # lines written before it (comments, id:)
    raw: bytes | None = None  # written verbatim instead of the frame

    @property
    def type(self) -> str | None:
        value = self.data.get("type") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None


@dataclass
class Stream:
    frames: list[Frame]
    newline: str = "\n"
    trailer: bytes = b""  # written after the last frame

    def of_type(self, *types: str) -> list[Frame]:
        return [f for f in self.frames if f.type in types]

    def renumber(self) -> None:
        """sequence_number 0, 1, 2... again (a relay that re-sequences the events it passes on)."""
        n = 0
        for f in self.frames:
            if isinstance(f.data, dict) and "sequence_number" in f.data:
                f.data["sequence_number"] = n
                n += 1


@dataclass
class Reply:
    """An HTTP answer: a JSON ``body``, ``raw`` bytes, or an event ``stream``."""

    status: int
    headers: dict[str, str]
    request: Req
    body: Any = None
    raw: bytes | None = None
    stream: Stream | None = None

    @property
    def is_json(self) -> bool:
        return self.stream is None and self.raw is None

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    def encode(self) -> bytes:
        """The body as bytes (a stream: all its frames)."""
        if self.stream is not None:
            return b"".join(encode_frames(self.stream))
        if self.raw is not None:
            return self.raw
        return to_json(self.body).encode()


def encode_frame(frame: Frame, newline: str = "\n") -> bytes:
    """One frame's bytes: its ``raw`` as is, else its lines and the blank line that ends it."""
    if frame.raw is not None:
        return frame.raw
    lines = list(frame.before)
    if frame.event is not None:
        lines.append(f"event: {frame.event}")
    text = frame.data if isinstance(frame.data, str) else to_json(frame.data)
    lines += [f"data: {line}" for line in text.split("\n")]
    return (newline.join(lines) + newline + newline).encode()


def encode_frames(stream: Stream) -> Iterator[bytes]:
    """Each frame's bytes (one chunk per frame), then the trailer."""
    for frame in stream.frames:
        yield encode_frame(frame, stream.newline)
    if stream.trailer:
        yield stream.trailer


class Wire:
    """What ``respond`` writes with: the ASGI send, and whether the client has gone."""

    def __init__(self, send: Callable[[dict[str, Any]], Awaitable[None]], gone: Any) -> None:
        self._send = send
        self.gone = gone  # asyncio.Event set when the client disconnects

    async def start(self, status: int, headers: dict[str, str]) -> None:
        await self._send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            }
        )

    async def write(self, chunk: bytes, more: bool = True) -> None:
        await self._send({"type": "http.response.body", "body": chunk, "more_body": more})

    async def end(self) -> None:
        await self.write(b"", more=False)


RequestHook = Callable[[Req, State], "Reply | None"]
ReplyHook = Callable[[Reply, State], None]
RespondHook = Callable[[Req, Wire, Callable[[], Awaitable[Reply]], State], Awaitable[None]]


@dataclass(frozen=True)
class Fault:
    """One catalogue entry: a named mutation of honest traffic, and how respcheck must notice it.

    ``detected_by`` is the registered check id that must fire. ``scenarios`` are the scenario
    names (declared on suite tests with ``@pytest.mark.scenario``) the selftest runs against it.
    Benign variations (``kind="benign"``) have no ``detected_by``: they must produce no error
    finding at all; neither have the transient refusals the client must absorb by retrying.
    """

    name: str
    models: str  # the real relay behaviour it imitates, one line
    kind: Kind
    detected_by: str | None
    scenarios: tuple[str, ...]
    request: RequestHook | None = None
    reply: ReplyHook | None = None
    respond: RespondHook | None = None
    profiles: tuple[str, ...] = ("openai",)  # judged under these (default: the openai profile)
    bound: float | None = None  # transport faults: seconds the scenario must end within
    fast: bool = False  # part of the quick CI subset
