"""Reading one response body into its exchange, within the target's bounds.

``BodyReader`` reads the body in chunks: under ``max_body_bytes`` (counted after every
``Content-Encoding`` layer is undone), the read timeouts and the total deadline (a watchdog
shuts the socket down, so a blocked read ends on time); an event stream is parsed as it
arrives. Whatever stops it is written to the exchange's ``broken``, never raised.
``respcheck.client`` sends the request and hands the response here.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import httpx

from respcheck.config import Target
from respcheck.exchange import (
    Exchange,
    Request,
    parse_json,
)
from respcheck.sse import MAX_EVENTS, SSEParser, parse_sse
from respcheck.wire import (
    UnsupportedEncoding,
    Watchdog,
    content_codings,
    decoded_chunks,
)


class BodyReader:
    """Reads one response body in chunks, within the size cap and the timeouts, into the exchange."""

    def __init__(self, target: Target, ex: Exchange, response: httpx.Response,
                 started: float, deadline: float, watchdog: Watchdog) -> None:
        self.target = target
        self.ex = ex
        self.response = response
        self.started = started
        self.deadline = deadline
        self.watchdog = watchdog  # cuts the socket at the deadline (a blocked read then returns)
        self.received = 0
        self.timed_out = threading.Event()
        self.finished = False  # set once reading stopped: the watchdog must not cut a pooled connection
        self.capped_by_total = False  # the body's read timeout is the rest of the total, not between_events

    def read(self) -> None:
        sse = self._is_event_stream()
        cut = self.watchdog.arm(self.deadline, self._cut)
        try:
            if sse:
                self._read_stream()
            else:
                self._read_body()
        finally:
            self.finished = True
            self.watchdog.disarm(cut)

    def _is_event_stream(self) -> bool:
        media = self.ex.media_type
        if media == "text/event-stream":
            return True
        # a stream served with no or a wrong content type is still read as one (and judged for it);
        # a JSON body to a stream request is read as JSON (the check says a stream was expected)
        success = 200 <= (self.ex.status or 0) < 300
        return success and stream_requested(self.ex.request) and "json" not in media

    def _chunks(self) -> Iterator[bytes]:
        """The body as sent, every Content-Encoding layer undone within bounds (see respcheck.wire)."""
        codings = content_codings(self.ex.headers.get("content-encoding"))
        return decoded_chunks(self.response.iter_raw(), codings)

    def _read_stream(self) -> None:
        parser = SSEParser(keep_text=False, max_events=MAX_EVENTS)
        ex = self.ex
        ex.events = parser.events
        ex.framing = parser.framing
        idle = self.target.timeouts.between_events
        last_line = time.monotonic()
        try:
            for chunk in self._chunks():
                now = time.monotonic()
                chunk = self._within_cap(chunk)
                parser.feed(chunk, now - self.started)
                if parser.overflowed:
                    ex.broken = (f"the stream sent more than {MAX_EVENTS} events; respcheck stopped reading "
                                 f"it after {self.received} bytes")
                    break
                # a complete line (an event, or a keep-alive comment) is a sign of life; bytes alone are not
                if b"\n" in chunk or b"\r" in chunk:
                    last_line = now
                if ex.broken:
                    break
                if now >= self.deadline:
                    ex.broken = self._total_cause()
                    break
                if now - last_line > idle:
                    ex.broken = (
                        f"no complete SSE line for {idle:g} s while bytes trickled in "
                        f"({self.received} bytes, {len(parser.events)} events; timeouts.between_events)"
                    )
                    break
        except (httpx.TransportError, httpx.DecodingError, UnsupportedEncoding, zlib.error) as exc:
            ex.broken = self._interrupted(exc)
        if self.timed_out.is_set() and not ex.broken:  # the cut socket can look like a clean end
            ex.broken = self._total_cause()
        parser.close(time.monotonic() - self.started)

    def _read_body(self) -> None:
        ex = self.ex
        buffer = bytearray()
        try:
            for chunk in self._chunks():
                buffer += self._within_cap(chunk)
                if ex.broken:
                    break
                if time.monotonic() >= self.deadline:
                    ex.broken = self._total_cause()
                    break
        except (httpx.TransportError, httpx.DecodingError, UnsupportedEncoding, zlib.error) as exc:
            ex.broken = self._interrupted(exc)
        if self.timed_out.is_set() and not ex.broken:  # the cut socket can look like a clean end
            ex.broken = self._total_cause()
        self._decode(bytes(buffer))

    def _decode(self, raw: bytes) -> None:
        ex = self.ex
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", errors="replace")
            if not ex.broken:
                ex.broken = f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        if text.lstrip().startswith(("{", "[", '"')) or text.strip() in ("null", "true", "false"):
            try:
                ex.body = parse_json(text)  # NaN, huge integers, deep nesting stay text (body.json says so)
                return
            except ValueError:
                pass
        if stream_requested(ex.request) and "data:" in text[:4096] and 200 <= (ex.status or 0) < 300:
            # an event stream labelled application/json: keep the events so the checks can judge them
            ex.events, ex.framing = parse_sse(raw)
            return
        ex.body_text = text

    def _within_cap(self, chunk: bytes) -> bytes:
        """The part of ``chunk`` under max_body_bytes (in decoded bytes); marks the exchange broken at it."""
        cap = self.target.max_body_bytes
        room = cap - self.received
        if len(chunk) > room:
            chunk = chunk[: max(0, room)]
            self.ex.broken = (
                f"the body exceeded max_body_bytes ({cap} bytes); respcheck stopped reading it"
            )
        self.received += len(chunk)
        return chunk

    def _cut(self) -> None:
        """Watchdog at the total deadline: shut the socket so a blocked read returns now."""
        if self.finished:
            return
        self.timed_out.set()
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing to cut
                sock.shutdown(socket.SHUT_RDWR)

    def _total_cause(self) -> str:
        return (
            f"the exchange exceeded the total timeout of {self.target.timeouts.total:g} s "
            f"after {self.received} bytes (timeouts.total)"
        )

    def _interrupted(self, exc: Exception) -> str:
        if self.timed_out.is_set() or (isinstance(exc, httpx.ReadTimeout) and self.capped_by_total):
            return self._total_cause()
        if isinstance(exc, httpx.ReadTimeout):
            return (
                f"the body stalled: no bytes for {self.target.timeouts.between_events:g} s "
                f"after {self.received} bytes (timeouts.between_events)"
            )
        if isinstance(exc, UnsupportedEncoding):
            return f"the body could not be decoded: {exc}"
        if isinstance(exc, httpx.DecodingError | zlib.error):
            return f"the body could not be decoded ({failure_reason(exc)})"
        return f"the connection broke mid-response after {self.received} bytes: {failure_reason(exc)}"


def stream_requested(request: Request) -> bool:
    """Whether the request asked for a stream (``"stream": true`` in the body, ``?stream=true``)."""
    if isinstance(request.body, dict) and request.body.get("stream") is True:
        return True
    return str(request.query.get("stream", "")).lower() == "true"


def failure_reason(exc: Exception) -> str:
    """A short human reason from an httpx/OS error ('connection refused', 'timed out'...)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    for needle, reason in (
        ("connection refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "unknown host (DNS)"),
        ("connection reset", "connection reset by peer"),
        ("timed out", "timed out"),
    ):
        if needle in lowered:
            return reason
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timed out"
    return text
