"""What the live client needs below httpx: a wall-clock bound from connect, and bounded decoding.

Two hostile-target defences that httpx does not give:

- **The total timeout covers the whole exchange.** httpx's timeouts are per socket operation, so a
  target that drips its status line or headers one byte a second never trips them. ``Deadline``
  wraps httpcore's network backend: every connect, TLS handshake, read and write of the calling
  thread is given at most the time left until that thread's deadline, and fails at once after it.
- **Decompression is bounded.** httpx inflates a compressed chunk in one call, so 3 KB of
  ``Content-Encoding: gzip, gzip`` can become gigabytes before any size check sees it.
  ``decoded_chunks`` inflates layer by layer in pieces of at most ``PIECE`` bytes, lazily, so the
  body cap (counted in decoded bytes) stops it after at most one piece too many.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore

PIECE = 64 * 1024  # the most one decompression step may produce
# The content codings respcheck asks for (Accept-Encoding) and can inflate within bounds.
ACCEPTED_ENCODINGS = "gzip, deflate"
_IDENTITY = frozenset({"", "identity"})


class ExchangeDeadline:
    """The calling thread's deadline (``time.monotonic()`` seconds), for every socket operation."""

    def __init__(self) -> None:
        self._local = threading.local()

    def set(self, deadline: float | None) -> None:
        self._local.deadline = deadline

    def remaining(self, timeout: float | None) -> float | None:
        """``timeout`` cut to the time left; raises TimeoutError once the deadline has passed."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the exchange's total timeout has passed")
        return left if timeout is None else min(timeout, left)


class Watchdog:
    """One thread that runs each armed action at its time (``time.monotonic()`` seconds) unless
    disarmed first: the body reader's cut at the total deadline, for every exchange of a client.

    A ``threading.Timer`` per exchange did the same, but starting a thread costs about a quarter of
    a millisecond, on every request, and more on a loaded machine (the new thread must be scheduled
    before ``start`` returns); this thread starts once, with the first exchange.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int, list[Callable[[], None] | None]]] = []  # a heap by time
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, when: float, action: Callable[[], None]) -> list[Callable[[], None] | None]:
        """Run ``action`` at ``when``; the returned handle is for ``disarm``."""
        handle: list[Callable[[], None] | None] = [action]
        with self._wake:
            heapq.heappush(self._due, (when, next(self._order), handle))
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="respcheck-watchdog", daemon=True)
                self._thread.start()
            if self._due[0][2] is handle:  # due before whatever the thread waits for now
                self._wake.notify()
        return handle

    def disarm(self, handle: list[Callable[[], None] | None]) -> None:
        """The action will not run (it may be running already if its time has come)."""
        handle[0] = None  # dropped from the heap when it comes up: no search, no lock

    def _watch(self) -> None:
        while True:
            with self._wake:
                while self._due and self._due[0][2][0] is None:
                    heapq.heappop(self._due)  # disarmed
                if not self._due:
                    self._wake.wait()
                    continue
                when, _, handle = self._due[0]
                left = when - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._due)
                action = handle[0]
            if action is not None:
                try:
                    action()
                except Exception:  # one failed cut must not stop the cuts of every later exchange
                    failure = (*sys.exc_info(), threading.current_thread())
                    threading.excepthook(threading.ExceptHookArgs(failure))


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: ExchangeDeadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float | None:
        try:
            return self._deadline.remaining(timeout)
        except TimeoutError as exc:
            raise error(str(exc)) from None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        left = self._left(timeout, httpcore.ConnectTimeout)
        inner = self._stream.start_tls(ssl_context, server_hostname, left)
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, each operation bounded by the calling thread's ``ExchangeDeadline``."""

    def __init__(self, deadline: ExchangeDeadline, backend: httpcore.NetworkBackend | None = None) -> None:
        self.deadline = deadline
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        try:
            left = self.deadline.remaining(timeout)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from None
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:  # pragma: no cover
        stream = self._backend.connect_unix_socket(path, self.deadline.remaining(timeout), socket_options)
        return _DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:  # pragma: no cover  (httpcore's retries; respcheck sets none)
        self._backend.sleep(seconds)


def bound_transport(transport: Any, deadline: ExchangeDeadline) -> bool:
    """Put ``deadline`` under an httpx HTTPTransport's connection pool; False if it has none."""
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        return False
    pool._network_backend = DeadlineBackend(deadline, pool._network_backend)
    return True


# -- bounded decoding ---------------------------------------------------------------------------


class UnsupportedEncoding(ValueError):
    """A Content-Encoding respcheck did not ask for and cannot inflate within bounds."""


def content_codings(header: str | None) -> list[str]:
    """The codings of a Content-Encoding header in the order they were applied (identity dropped)."""
    codings = [c.strip().lower() for c in (header or "").split(",")]
    codings = [c for c in codings if c not in _IDENTITY]
    unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
    if unknown:
        raise UnsupportedEncoding(
            f"Content-Encoding {unknown[0]!r} is not one respcheck asked for ({ACCEPTED_ENCODINGS})"
        )
    return codings


def decoded_chunks(raw: Iterable[bytes], codings: list[str]) -> Iterator[bytes]:
    """The body with every coding undone (last applied, first undone), in pieces of at most PIECE bytes.

    Lazy all the way down: a consumer that stops after N bytes has made the decoders produce at
    most N + PIECE bytes at each layer. Raises ``zlib.error`` on a corrupt layer.
    """
    chunks: Iterable[bytes] = raw
    for coding in reversed(codings):
        chunks = _inflate(chunks, coding)
    return iter(chunks)


def _inflate(chunks: Iterable[bytes], coding: str) -> Iterator[bytes]:
    # gzip: a gzip header; deflate: a zlib header, though some servers send raw deflate (as httpx allows)
    wbits = 16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    decoder = zlib.decompressobj(wbits)
    first = True
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = decoder.decompress(data, PIECE)
            except zlib.error:
                if not (first and coding == "deflate"):
                    raise
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no zlib header
                out = decoder.decompress(data, PIECE)
            first = False
            data = decoder.unconsumed_tail
            if out:
                yield out
            # output can stay buffered inside zlib when a piece was full: drain it before more input
            while len(out) == PIECE and not data:
                out = decoder.decompress(b"", PIECE)
                if out:
                    yield out
            if decoder.eof:
                return  # bytes after the end of the compressed stream are ignored, as httpx does
