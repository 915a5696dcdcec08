"""The HTTP client against real sockets: honest targets and hostile ones.

Each test starts a tiny HTTP/1.1 server on a free 127.0.0.1 port in a thread; its
handler writes raw bytes, so it can misbehave the way real relays do (hang, drip,
reset, flood, never end, send bytes that are not UTF-8). Timeouts are kept small so
the file runs in seconds; the time bounds asserted are generous "did not hang" limits.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from respcheck.budget import Budget, BudgetExhausted, BudgetTracker
from respcheck.client import ResponsesClient, TargetUnreachable
from respcheck.config import Retries, Target, Timeouts
from respcheck.exchange import Exchange, RunInterrupted

KEY = "sk-test-dummy-key-0123456789abcdef"
ENV = {"RESPCHECK_TEST_KEY": KEY}

Handler = Callable[["Conn"], None]


class Conn:
    """One accepted connection: the parsed request and raw write helpers."""

    def __init__(self, sock: socket.socket, server: RawServer) -> None:
        self.sock = sock
        self.server = server
        self.method = ""
        self.path = ""
        self.headers: dict[str, str] = {}
        self.body = b""

    def read_request(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.path, _ = lines[0].split(" ", 2)
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        length = int(self.headers.get("content-length", "0"))
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.body = rest

    def send(self, data: bytes | str) -> None:
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def head(self, status: int = 200, content_type: str = "application/json", extra: str = "",
             length: int | None = None) -> None:
        reason = {200: "OK", 429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "X")
        size = f"Content-Length: {length}\r\n" if length is not None else ""
        self.send(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{size}{extra}"
                  "Connection: close\r\n\r\n")

    def json(self, payload: object, status: int = 200, extra: str = "") -> None:
        body = json.dumps(payload).encode()
        self.head(status, extra=extra, length=len(body))
        self.send(body)

    def wait(self, seconds: float) -> bool:
        """Sleep that ends early when the test is over (so hostile handlers never outlive it)."""
        return self.server.stopping.wait(seconds)

    def reset(self) -> None:
        """Close with RST instead of FIN: what a crashed upstream looks like."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class RawServer:
    def __init__(self) -> None:
        self.handler: Handler = lambda c: c.json({})
        self.requests: list[Conn] = []
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Conn(sock, self)
        with contextlib.suppress(OSError, ConnectionError):
            conn.read_request()
            self.requests.append(conn)
            self.handler(conn)
        with contextlib.suppress(OSError):
            sock.close()

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()


@pytest.fixture
def server() -> Iterator[RawServer]:
    srv = RawServer()
    yield srv
    srv.stop()


def make_target(url: str, **changes: object) -> Target:
    target = Target(
        name="hostile",
        base_url=url,
        api_key_env="RESPCHECK_TEST_KEY",
        timeouts=Timeouts(connect=1.0, first_byte=1.0, between_events=1.0, total=3.0),
        retries=Retries(max=2, max_wait=5.0),
        max_body_bytes=1024 * 1024,
    )
    return replace(target, **changes)


def make_client(url: str, *, sleeps: list[float] | None = None, budget: Budget | None = None,
                recorder: Callable[[Exchange], None] | None = None, **changes: object) -> ResponsesClient:
    sleep = sleeps.append if sleeps is not None else time.sleep
    return ResponsesClient(make_target(url, **changes), budget, recorder, environ=ENV, sleep=sleep)


def sse(*events: dict) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


RESPONSE = {
    "id": "resp_1", "object": "response", "status": "completed", "output": [],
    "usage": {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18},
}


# -- honest exchanges ---------------------------------------------------------------------------


def test_create_json_records_request_response_and_spend(server: RawServer) -> None:
    server.handler = lambda c: c.json(RESPONSE, extra="X-Request-Id: req_1\r\n")
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.status == 200
    assert ex.body == RESPONSE
    assert ex.headers["x-request-id"] == "req_1"
    assert ex.endpoint == "create" and not ex.streamed and ex.broken is None
    assert ex.request.path == "/v1/responses" and ex.request.body == {"model": "m", "input": "hi"}
    # the key went on the wire, but not into the record
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert ex.request.headers["authorization"] == "Bearer [REDACTED]"
    assert KEY not in repr(ex)
    spend = client.spend
    assert (spend.requests, spend.input_tokens, spend.output_tokens) == (1, 11, 7)
    assert "1 requests" in str(spend) and "7 output tokens" in str(spend)


def test_stream_is_parsed_incrementally_with_arrival_times(server: RawServer) -> None:
    def handler(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        created = {**RESPONSE, "status": "in_progress", "usage": None}
        c.send(sse({"type": "response.created", "sequence_number": 0, "response": created}))
        c.wait(0.2)
        c.send(sse({"type": "response.completed", "sequence_number": 1, "response": RESPONSE}))
        c.send(b"data: [DONE]\n\n")

    server.handler = handler
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"}, stream=True)
    assert ex.request.body["stream"] is True
    assert ex.streamed and ex.broken is None and ex.framing == []
    assert [e.type for e in ex.events] == ["response.created", "response.completed", None]
    assert ex.events[-1].is_done_marker
    first, second = ex.events[0].arrived_at, ex.events[1].arrived_at
    assert first is not None and second is not None and second > first  # the pause is visible
    assert client.spend.output_tokens == 7  # usage taken from the terminal event


def test_stream_sent_as_application_json_is_still_read_as_events(server: RawServer) -> None:
    def handler(c: Conn) -> None:
        body = sse({"type": "response.completed", "sequence_number": 0, "response": RESPONSE})
        c.head(content_type="application/json", length=len(body))
        c.send(body)

    server.handler = handler
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert ex.events is not None and ex.events[0].type == "response.completed"
    assert ex.content_type == "application/json"  # kept, for stream.content_type to judge


def test_endpoint_paths_and_queries(server: RawServer) -> None:
    server.handler = lambda c: c.json({"id": "x", "object": "response"})
    with make_client(server.url) as client:
        exchanges = [
            client.retrieve("resp_a", stream=True, starting_after=3),
            client.cancel("resp_a"),
            client.delete("resp_a"),
            client.input_items("resp_a", limit=2, after="msg_1"),
            client.input_tokens({"model": "m", "input": "x"}),
            client.compact({"model": "m", "input": "x"}),
            client.retrieve("a/b?c"),
        ]
    seen = [(c.method, c.path) for c in server.requests]
    assert seen == [
        ("GET", "/v1/responses/resp_a?stream=true&starting_after=3"),
        ("POST", "/v1/responses/resp_a/cancel"),
        ("DELETE", "/v1/responses/resp_a"),
        ("GET", "/v1/responses/resp_a/input_items?limit=2&after=msg_1"),
        ("POST", "/v1/responses/input_tokens"),
        ("POST", "/v1/responses/compact"),
        ("GET", "/v1/responses/a%2Fb%3Fc"),
    ]
    assert [e.endpoint for e in exchanges[:6]] == [
        "retrieve", "cancel", "delete", "input_items", "input_tokens", "compact"
    ]
    assert exchanges[0].starting_after == 3
    assert exchanges[6].request.path == "/v1/responses/a%2Fb%3Fc" and exchanges[6].endpoint == "retrieve"


def test_raw_send_without_auth_and_with_extra_headers(server: RawServer) -> None:
    server.handler = lambda c: c.json({"error": {"message": "no key"}}, status=401)
    with make_client(server.url, headers={"X-Relay": "on"}) as client:
        ex = client.send("PUT", "/responses", content=b"{not json", auth=False)
    request = server.requests[0]
    assert "authorization" not in request.headers
    assert request.headers["x-relay"] == "on"
    assert request.body == b"{not json"
    assert ex.status == 401 and ex.request.body == "{not json"


def test_a_key_echoed_by_the_target_is_redacted(server: RawServer) -> None:
    def echo(c: Conn) -> None:
        c.json({"error": {"message": f"bad key {c.headers['authorization']}"}}, status=401,
               extra=f"X-Echo: {c.headers['authorization']}\r\n")

    server.handler = echo
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert "[REDACTED]" in ex.body["error"]["message"]
    assert KEY not in json.dumps(ex.body) + json.dumps(ex.headers)


def test_a_key_echoed_everywhere_never_reaches_what_is_recorded(server: RawServer) -> None:
    from respcheck.redact import redact_record
    from respcheck.replay.jsonl import exchange_to_record

    def echo_everywhere(c: Conn) -> None:
        key = c.headers["authorization"].removeprefix("Bearer ")
        if len(server.requests) == 1:  # first a 429 whose body and headers echo the key
            c.json({"error": {"message": key}}, status=429, extra=f"Retry-After: 0\r\nX-Key: {key}\r\n")
            return
        c.head(content_type="text/event-stream", extra=f"Set-Cookie: k={key}\r\n")
        c.send(f"id: {key}\nevent: response.created\ndata: {json.dumps({'type': key})}\n\n")
        c.send(f"data: not json {key}\n\n{key}: unknown field\n\n")
        c.reset()

    server.handler = echo_everywhere
    written: list[str] = []

    def recorder(ex: Exchange) -> None:
        written.append(json.dumps(redact_record(exchange_to_record(ex)), ensure_ascii=False))
        written.append(repr(ex))

    with make_client(server.url, sleeps=[], recorder=recorder) as client:
        ex = client.create({"model": "m", "input": f"{KEY} in the prompt", "stream": True})
    assert len(ex.events) == 2 and ex.broken
    assert server.requests[1].headers["authorization"] == f"Bearer {KEY}"  # it was really sent
    assert KEY not in "\n".join(written)


def test_recorder_sees_every_attempt(server: RawServer) -> None:
    answers = iter([503, 200])

    def handler(c: Conn) -> None:
        status = next(answers)
        c.json(RESPONSE if status == 200 else {"error": {"message": "busy"}}, status=status)

    server.handler = handler
    recorded: list[Exchange] = []
    with make_client(server.url, sleeps=[], recorder=recorded.append) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert [e.status for e in recorded] == [503, 200]
    assert recorded[-1] is ex


# -- hostile targets ----------------------------------------------------------------------------


def test_hang_before_headers_times_out(server: RawServer) -> None:
    server.handler = lambda c: c.wait(30)
    started = time.monotonic()
    with make_client(server.url, timeouts=Timeouts(1, 0.3, 1, 3)) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert time.monotonic() - started < 3
    assert ex.status is None
    assert "no response headers within 0.3 s" in ex.broken and "first_byte" in ex.broken


def test_slow_drip_body_stops_at_the_total_timeout(server: RawServer) -> None:
    def drip(c: Conn) -> None:
        c.head(length=1_000_000)
        while not c.wait(0.05):
            c.send(b" ")

    server.handler = drip
    started = time.monotonic()
    with make_client(server.url, timeouts=Timeouts(1, 1, 1, 0.6)) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert time.monotonic() - started < 3
    assert ex.status == 200
    assert "total timeout of 0.6 s" in ex.broken


def test_drip_that_never_completes_an_event_hits_between_events(server: RawServer) -> None:
    def drip(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        c.send(sse({"type": "response.created", "sequence_number": 0}))
        c.send(b"data: ")
        while not c.wait(0.05):
            c.send(b"x")

    server.handler = drip
    with make_client(server.url, timeouts=Timeouts(1, 1, 0.4, 5)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert len(ex.events) >= 1 and ex.events[0].type == "response.created"
    assert "no complete SSE line for 0.4 s" in ex.broken


def test_keepalive_comments_keep_a_slow_stream_alive(server: RawServer) -> None:
    """A relay waiting on a slow model sends comments; that is benign, not an idle stream."""

    def patient(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        for _ in range(12):  # 1.2 s without an event, a comment every 0.1 s
            c.send(b": keep-alive\n\n")
            c.wait(0.1)
        c.send(sse({"type": "response.completed", "sequence_number": 0, "response": RESPONSE}))

    server.handler = patient
    with make_client(server.url, timeouts=Timeouts(1, 1, 0.6, 5)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert ex.broken is None
    assert [e.type for e in ex.events] == ["response.completed"]


def _stall_after_created(c: Conn) -> None:
    """A stream that sends its first event, then nothing for 30 s."""
    c.head(content_type="text/event-stream")
    c.send(sse({"type": "response.created", "sequence_number": 0}))
    c.wait(30)


def test_silence_mid_stream_hits_between_events(server: RawServer) -> None:
    server.handler = _stall_after_created
    started = time.monotonic()
    with make_client(server.url, timeouts=Timeouts(1, 1, 0.3, 5)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert time.monotonic() - started < 3
    assert [e.type for e in ex.events] == ["response.created"]
    assert "no bytes for 0.3 s" in ex.broken


def test_total_timeout_cuts_a_blocked_read(server: RawServer) -> None:
    """between_events alone would wait 10 s; the watchdog ends the exchange at total."""
    server.handler = _stall_after_created
    started = time.monotonic()
    with make_client(server.url, timeouts=Timeouts(1, 1, 10, 0.5)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert time.monotonic() - started < 3
    assert "total timeout of 0.5 s" in ex.broken


def test_reset_mid_stream_keeps_the_events_so_far(server: RawServer) -> None:
    def crash(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        c.send(sse({"type": "response.created", "sequence_number": 0},
                   {"type": "response.in_progress", "sequence_number": 1}))
        c.wait(0.1)
        c.reset()

    server.handler = crash
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert [e.type for e in ex.events] == ["response.created", "response.in_progress"]
    assert ex.broken.startswith("the connection broke mid-response after")


def test_closed_before_headers_is_broken_not_unreachable(server: RawServer) -> None:
    server.handler = lambda c: c.reset()
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.status is None and "before any response" in ex.broken


def test_an_idle_connection_is_not_reused_past_the_clients_keepalive() -> None:
    """A server closes a connection idle for its keep-alive timeout (gunicorn 2 s, uvicorn and hypercorn
    5 s); a request sent on it as it closes breaks ("Server disconnected without sending a response"),
    which is no fault of the server. The client drops a connection idle for 1 s first: after 1.3 s of
    quiet, the next request opens a new connection instead of reusing one this server (1.5 s) still
    holds open."""
    body = json.dumps(RESPONSE).encode()

    def serve(sock: socket.socket) -> None:
        sock.settimeout(1.5)  # this server's keep-alive timeout
        with contextlib.suppress(OSError, ConnectionError):
            while True:  # answer each whole request (head and body), keep the connection
                Conn(sock, None).read_request()  # type: ignore[arg-type]  (no server: it never waits)
                _answer_200(sock, body)
        sock.close()

    with _connection_server(serve) as (url, accepted), make_client(url) as client:
        first = client.create({"model": "m", "input": "hi"})
        again = client.create({"model": "m", "input": "hi"})  # at once: the same connection
        time.sleep(1.3)
        later = client.create({"model": "m", "input": "hi"})
    assert [first.status, again.status, later.status] == [200, 200, 200]
    assert len(accepted) == 2


@contextlib.contextmanager
def _connection_server(serve: Callable[[socket.socket], None]) -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback server running ``serve`` on each connection it accepts (a thread each): its base URL
    and the connections accepted so far."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                sock, _ = listener.accept()
                accepted.append(sock)
                threading.Thread(target=serve, args=(sock,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", accepted
    finally:
        listener.close()


def _answer_200(sock: socket.socket, body: bytes) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


@pytest.mark.parametrize("requests_on_a_connection", [1, 0], ids=["closes-kept-alive", "closes-every-new"])
def test_a_request_a_kept_alive_connection_dropped_is_sent_again(requests_on_a_connection: int) -> None:
    """hypercorn (agentserver) may close a kept-alive connection without "Connection: close" (after a
    405 it sent before reading the body); the request already on its way over it gets no answer
    ("Server disconnected without sending a response"), a false transport.complete seen in CI. Here the
    server answers N requests per connection and drops the next one unanswered: a request that went
    out on a reused connection is sent again, on a new one (a note says so, the spend counts both); a
    new connection that drops it unanswered (N = 0) is the server's fault and reported, sent once."""
    body = json.dumps(RESPONSE).encode()

    def serve(sock: socket.socket) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            for _ in range(requests_on_a_connection):
                Conn(sock, None).read_request()  # type: ignore[arg-type]  (no server: it never waits)
                _answer_200(sock, body)
            Conn(sock, None).read_request()  # type: ignore[arg-type]
        sock.close()  # this request unanswered

    recorded: list[Exchange] = []
    with _connection_server(serve) as (url, accepted), make_client(url, recorder=recorded.append) as client:
        exchanges = [client.create({"model": "m", "input": "hi"}) for _ in range(3)]
        spend = client.spend
    if requests_on_a_connection:
        assert [ex.status for ex in exchanges] == [200, 200, 200]
        assert exchanges[0].notes == []
        for ex in exchanges[1:]:
            assert ex.broken is None
            assert any(n.startswith("sent again on a new connection") for n in ex.notes), ex.notes
        assert recorded == exchanges  # the unanswered attempts are not recorded
        assert len(accepted) == 3 and spend.requests == 5 and spend.retries == 2
    else:
        assert [ex.status for ex in exchanges] == [None, None, None]
        assert all("Server disconnected" in (ex.broken or "") for ex in exchanges)
        assert len(accepted) == 3 and spend.requests == 3 and spend.retries == 0


@pytest.mark.parametrize("base", ["http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/", "http://127.0.0.1:9",
                                  "http://127.0.0.1:9/proxy%20one/v1"])
def test_a_path_joins_the_base_url_as_httpx_joins_it(base: str) -> None:
    """The client builds each request on an absolute URL it made once (httpx joining a relative path
    costs ~0.1 ms a request): the same URL httpx makes, for odd paths too; at most _URLS_KEPT kept."""
    paths = ["/responses", "responses", "/responses/resp_1/input_items", "/responses/a%2Fb",
             "/responses/caf\u00e9", "/responses/with space", "/responses/%E2%98%83", "//responses"]
    with make_client(base) as client:
        for path in paths + paths:
            assert client._url(path) == client._http._merge_url(path), path
        for n in range(200):
            client._url(f"/responses/resp_{n}")
        assert len(client._urls) <= 64


def test_cookies_a_target_sets_are_sent_back(server: RawServer) -> None:
    """The cookie jar is fed only answers that set a cookie (http.cookiejar costs ~50 us an answer);
    a cookie set is still sent back, as the openai SDK's httpx client does."""
    def handler(c: Conn) -> None:
        cookie = "Set-Cookie: affinity=node-7; Path=/\r\n" if len(server.requests) == 1 else ""
        c.json(RESPONSE, extra=cookie)

    server.handler = handler
    with make_client(server.url) as client:
        for _ in range(3):
            assert client.create({"model": "m", "input": "hi"}).status == 200
    assert [c.headers.get("cookie") for c in server.requests] == [None, "affinity=node-7", "affinity=node-7"]


def test_huge_body_is_capped_and_memory_stays_bounded(server: RawServer) -> None:
    size = 50 * 1024 * 1024
    block = b"x" * 65536

    def flood(c: Conn) -> None:
        c.head(length=size)
        for _ in range(size // len(block)):
            c.send(block)

    server.handler = flood
    tracemalloc.start()
    try:
        with make_client(server.url, max_body_bytes=512 * 1024) as client:
            ex = client.create({"model": "m", "input": "hi"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "exceeded max_body_bytes (524288 bytes)" in ex.broken
    assert len(ex.body_text) == 512 * 1024
    assert peak < 8 * 1024 * 1024  # a fraction of the 50 MB sent


def test_endless_stream_stops_at_the_total_timeout(server: RawServer) -> None:
    def forever(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        n = 0
        while not c.wait(0.01):
            c.send(sse({"type": "response.output_text.delta", "sequence_number": n, "delta": "a"}))
            n += 1

    server.handler = forever
    started = time.monotonic()
    with make_client(server.url, timeouts=Timeouts(1, 1, 1, 0.5)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert time.monotonic() - started < 3
    assert len(ex.events) > 5 and "total timeout" in ex.broken


def test_endless_fast_stream_stops_at_the_body_cap(server: RawServer) -> None:
    def forever(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        chunk = sse(*[{"type": "response.output_text.delta", "delta": "a" * 100}] * 50)
        while not c.server.stopping.is_set():
            c.send(chunk)

    server.handler = forever
    with make_client(server.url, max_body_bytes=256 * 1024) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert "exceeded max_body_bytes" in ex.broken
    assert 0 < len(ex.events) < 256 * 1024 // 100


def test_invalid_utf8_json_body_is_broken(server: RawServer) -> None:
    def bad(c: Conn) -> None:
        body = b'{"id": "resp_\xff\xfe"}'
        c.head(length=len(body))
        c.send(body)

    server.handler = bad
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.broken.startswith("the body is not valid UTF-8")
    assert ex.body == {"id": "resp_\ufffd\ufffd"}


def test_invalid_utf8_in_a_stream_is_a_framing_issue(server: RawServer) -> None:
    def bad(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        c.send(b'data: {"type": "response.created", "x": "\xff"}\n\n')

    server.handler = bad
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert [f.kind for f in ex.framing] == ["invalid_utf8"]
    assert ex.events[0].type == "response.created"


def test_unreachable_port_raises_quickly() -> None:
    started = time.monotonic()
    with make_client("http://127.0.0.1:9/v1") as client, pytest.raises(TargetUnreachable) as caught:
        client.create({"model": "m", "input": "hi"})
    assert time.monotonic() - started < 3
    assert str(caught.value) == "cannot connect to http://127.0.0.1:9/v1/responses: connection refused"


# -- retries, rate and budget --------------------------------------------------------------------


def test_429_with_retry_after_is_retried_then_succeeds(server: RawServer) -> None:
    answers = iter([429, 200])

    def handler(c: Conn) -> None:
        if next(answers) == 429:
            c.json({"error": {"message": "slow down"}}, status=429, extra="Retry-After: 1\r\n")
        else:
            c.json(RESPONSE)

    server.handler = handler
    sleeps: list[float] = []
    with make_client(server.url, sleeps=sleeps) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.status == 200 and len(server.requests) == 2
    assert sleeps == [1.0]  # Retry-After honoured
    assert ex.notes == ["attempt 2 of 3, after 429 (waited 1 s)"]
    assert (client.spend.requests, client.spend.retries) == (2, 1)


def test_retry_after_is_capped(server: RawServer) -> None:
    answers = iter([429, 200])
    server.handler = lambda c: (c.json({}, status=429, extra="Retry-After: 3600\r\n")
                                if next(answers) == 429 else c.json(RESPONSE))
    sleeps: list[float] = []
    with make_client(server.url, sleeps=sleeps, retries=Retries(max=2, max_wait=0.25)) as client:
        client.create({"model": "m", "input": "hi"})
    assert sleeps == [0.25]


def test_503_flapping_gives_up_after_max_retries(server: RawServer) -> None:
    server.handler = lambda c: c.json({"error": {"message": "down"}}, status=503)
    sleeps: list[float] = []
    with make_client(server.url, sleeps=sleeps) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.status == 503 and len(server.requests) == 3  # 1 + retries.max
    assert sleeps == [0.5, 1.0]  # exponential backoff without Retry-After


def test_503_flapping_then_up(server: RawServer) -> None:
    answers = iter([503, 503, 200])
    server.handler = lambda c: c.json(RESPONSE) if next(answers) == 200 else c.json({}, status=503)
    with make_client(server.url, sleeps=[]) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.status == 200


def test_no_retry_when_asked(server: RawServer) -> None:
    server.handler = lambda c: c.json({}, status=429)
    with make_client(server.url, sleeps=[]) as client:
        ex = client.send("POST", "/responses", json={}, retry=False)
    assert ex.status == 429 and len(server.requests) == 1


def test_request_budget_stops_before_sending(server: RawServer) -> None:
    server.handler = lambda c: c.json(RESPONSE)
    with make_client(server.url, budget=Budget(requests=2)) as client:
        client.create({"model": "m", "input": "1"})
        client.create({"model": "m", "input": "2"})
        with pytest.raises(BudgetExhausted, match=r"2 of 2 requests used"):
            client.create({"model": "m", "input": "3"})
    assert len(server.requests) == 2


def test_an_interrupted_client_sends_nothing_more(server: RawServer) -> None:
    server.handler = lambda c: c.json(RESPONSE)
    with make_client(server.url) as client:
        client.create({"model": "m", "input": "1"})
        client.interrupt()  # Ctrl-C while tests ran at once
        with pytest.raises(RunInterrupted, match="interrupted"):
            client.create({"model": "m", "input": "2"})
    assert len(server.requests) == 1


def test_output_token_budget_counts_reported_usage(server: RawServer) -> None:
    server.handler = lambda c: c.json({**RESPONSE, "id": f"resp_{len(server.requests)}"})
    with make_client(server.url, budget=Budget(output_tokens=10)) as client:
        client.create({"model": "m", "input": "1"})  # 7 tokens
        client.create({"model": "m", "input": "2"})  # 14 >= 10
        with pytest.raises(BudgetExhausted, match="output tokens"):
            client.create({"model": "m", "input": "3"})


def test_a_shared_tracker_counts_a_retrieved_response_once(server: RawServer) -> None:
    server.handler = lambda c: c.json(RESPONSE)
    tracker = BudgetTracker(Budget())
    with ResponsesClient(make_target(server.url), tracker, environ=ENV) as client:
        client.create({"model": "m", "input": "1"})
        client.retrieve("resp_1")
    assert (tracker.spend.requests, tracker.spend.output_tokens) == (2, 7)


def test_rate_limit_waits_between_requests(server: RawServer) -> None:
    server.handler = lambda c: c.json(RESPONSE)
    sleeps: list[float] = []
    with make_client(server.url, sleeps=sleeps, budget=Budget(requests_per_second=0.01)) as client:
        for _ in range(3):
            client.create({"model": "m", "input": "hi"})
    # the first request uses the burst; each later one waits ~100 s for a token (the sleep is fake)
    assert len(sleeps) == 2 and all(99 < s <= 100 for s in sleeps)


def test_an_unstarted_reference_target_is_refused() -> None:
    from respcheck.config import reference_target

    with pytest.raises(ValueError, match="start the reference server"):
        ResponsesClient(reference_target())


# -- budget and rate limiter units (fake clock, no waiting) ----------------------------------------


def test_rate_limiter_token_bucket_with_a_fake_clock() -> None:
    from respcheck.budget import RateLimiter

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2.0, burst=2, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.5, 0.5]  # a burst of 2, then one every 1/2 s
    now[0] += 10
    assert limiter.acquire() == 0.0  # idle time refills the bucket (up to the burst)
    assert RateLimiter(None).acquire() == 0.0
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_budget_tracker_is_thread_safe() -> None:
    tracker = BudgetTracker(Budget(requests=100))
    allowed: list[int] = []

    def spend() -> None:
        for _ in range(50):
            with contextlib.suppress(BudgetExhausted):
                tracker.charge_request()
                allowed.append(1)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 100 and tracker.spend.requests == 100
    assert tracker.exhausted() == "budget exhausted: 100 of 100 requests used (budget.requests)"


def test_a_worker_share_says_it_is_a_share() -> None:
    """Under -n 2 each worker has half the run's budget: its message must not read as the whole
    ("50 of 50 used" while the run's spend says 100)."""
    share = Budget(requests=100, set_by={"requests": "--budget-requests"}).split(2)
    tracker = BudgetTracker(share)
    for _ in range(50):
        tracker.charge_request()
    assert tracker.exhausted() == (
        "budget exhausted: 50 of 50 requests used "
        "(this worker's share of --budget-requests, split over 2 workers)"
    )
    assert share == Budget(requests=50)  # the note is for messages only, not part of the limits


def test_usage_in_chat_naming_is_counted_and_spends_add_up() -> None:
    from respcheck.budget import Spend, usage_tokens

    assert usage_tokens({"usage": {"prompt_tokens": 3, "completion_tokens": 4}}) == (3, 4)
    assert usage_tokens({"usage": {"input_tokens": 3}}) == (3, 0)
    assert usage_tokens({"usage": None}) is None and usage_tokens("x") is None
    total = Spend(1, 2, 3, 0) + Spend.from_dict({"requests": 4, "output_tokens": 5})
    assert total == Spend(5, 2, 8, 0)
    assert Budget(requests=10, output_tokens=3, requests_per_second=2).split(2) == Budget(5, 1, 1.0)


# -- hostile targets, second pass (issue 13) ----------------------------------------------------


def _gzip(data_chunks: Iterator[bytes] | list[bytes], wbits: int = 31) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(packer.compress(c) for c in data_chunks) + packer.flush()


@functools.cache
def _bomb(decoded_mib: int) -> bytes:
    """``decoded_mib`` MiB of spaces, gzipped twice: a few KB on the wire."""
    return _gzip([_gzip(b" " * (1 << 20) for _ in range(decoded_mib))])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_gzip_bomb_stops_at_the_cap_in_decoded_bytes(server: RawServer, stream: bool) -> None:
    bomb = _bomb(64)  # 64 MiB once inflated (httpx would inflate it in one call), ~200 bytes sent

    def handler(c: Conn) -> None:
        kind = "text/event-stream" if stream else "application/json"
        c.head(content_type=kind, length=len(bomb), extra="Content-Encoding: gzip, gzip\r\n")
        c.send(bomb)

    server.handler = handler
    tracemalloc.start()
    try:
        with make_client(server.url, max_body_bytes=1024 * 1024) as client:
            ex = client.create({"model": "m", "input": "hi", "stream": stream})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(bomb) < 1024 * 1024
    assert "exceeded max_body_bytes (1048576 bytes)" in ex.broken
    assert peak < 8 * 1024 * 1024  # the cap plus a few decoder pieces, not 64 MiB


@pytest.mark.parametrize("coding", ["gzip", "deflate", "gzip, deflate", "identity"])
def test_honest_compressed_bodies_are_decoded(server: RawServer, coding: str) -> None:
    body = json.dumps(RESPONSE).encode()
    for name in [c.strip() for c in coding.split(",")]:  # applied in the order listed
        body = {"gzip": _gzip([body]), "deflate": _gzip([body], 15), "identity": body}[name]

    def handler(c: Conn) -> None:
        c.head(length=len(body), extra=f"Content-Encoding: {coding}\r\n")
        c.send(body)

    server.handler = handler
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert ex.broken is None and ex.body == RESPONSE
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


def test_an_encoding_not_asked_for_is_a_finding(server: RawServer) -> None:
    def handler(c: Conn) -> None:
        c.head(length=4, extra="Content-Encoding: br\r\n")
        c.send(b"\x0b\x01\x80{")

    server.handler = handler
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert "Content-Encoding 'br' is not one respcheck asked for" in ex.broken


@pytest.mark.parametrize("drip", ["status line", "header lines"])
def test_dripped_headers_end_at_the_total_timeout(server: RawServer, drip: str) -> None:
    """Each byte comes well within first_byte, so only a total bound from connect ends it."""

    def handler(c: Conn) -> None:
        if drip == "status line":
            for byte in b"HTTP/1.1 200 OK\r\n" * 100:
                if c.wait(0.05):
                    return
                c.send(bytes([byte]))
        c.send(b"HTTP/1.1 200 OK\r\n")
        n = 0
        while not c.wait(0.1):
            c.send(f"X-Drip-{n}: 1\r\n")
            n += 1

    server.handler = handler
    started = time.monotonic()
    with make_client(server.url, timeouts=Timeouts(1, 1, 1, 0.8)) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert time.monotonic() - started < 2
    assert ex.status is None
    assert "total timeout of 0.8 s before the response headers were complete" in ex.broken


def test_too_many_header_fields_are_a_finding(server: RawServer) -> None:
    def handler(c: Conn) -> None:
        c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + "".join(f"X-{n}: 1\r\n" for n in range(3000))
               + "\r\n{}")

    server.handler = handler
    with make_client(server.url) as client:
        ex = client.create({"model": "m", "input": "hi"})
    assert "the target sent 3001 header fields" in ex.broken
    assert len(ex.headers) <= 256


def test_an_event_flood_stops_at_the_events_cap(server: RawServer) -> None:
    from respcheck.sse import MAX_EVENTS

    def flood(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        block = b"data:1\n\n" * 8192
        for _ in range(128):  # 8 MiB, a million events
            c.send(block)

    server.handler = flood
    started = time.monotonic()
    with make_client(server.url, max_body_bytes=8 * 1024 * 1024, timeouts=Timeouts(5, 5, 30, 60)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    assert time.monotonic() - started < 45  # ~1 s alone: a generous "did not read a million events"
    assert len(ex.events) == MAX_EVENTS
    assert f"more than {MAX_EVENTS} events" in ex.broken


@pytest.mark.parametrize("response_id", ["..", ".", "...", "a/../..", "%2e%2e", "?x", "#y"])
def test_ids_never_leave_their_path_segment(server: RawServer, response_id: str) -> None:
    server.handler = lambda c: c.json({"error": {"message": "no such response"}}, status=404)
    with make_client(server.url) as client:
        for call in (client.retrieve, client.delete, client.cancel, client.input_items):
            call(response_id)
    prefix = "/v1/responses/"
    for conn in server.requests:
        assert conn.path.startswith(prefix), conn.path
        segment, _, rest = conn.path[len(prefix):].partition("/")
        assert segment not in ("", ".", "..") and "?" not in segment and "#" not in segment
        assert rest.split("?")[0] in ("", "cancel", "input_items")
    assert len(server.requests) == 4


def test_an_empty_id_is_refused_not_sent(server: RawServer) -> None:
    recorded: list[Exchange] = []
    with make_client(server.url, recorder=recorded.append) as client:
        exchanges = [client.retrieve(""), client.delete(""), client.cancel(""), client.input_items("")]
    assert server.requests == []
    assert client.spend.requests == 0
    assert all(ex.broken.startswith("not sent: the response id is empty") for ex in exchanges)
    assert [ex.request.path for ex in recorded] == [
        "/v1/responses/{id}", "/v1/responses/{id}", "/v1/responses/{id}/cancel",
        "/v1/responses/{id}/input_items",
    ]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_finding_never_followed(server: RawServer, status: int) -> None:
    elsewhere = RawServer()
    try:
        location = f"{elsewhere.url}/responses?key={KEY}"
        server.handler = lambda c: c.json({}, status=status, extra=f"Location: {location}\r\n")
        with make_client(server.url) as client:
            ex = client.create({"model": "m", "input": "hi"})
    finally:
        elsewhere.stop()
    assert ex.status == status and len(server.requests) == 1
    assert elsewhere.requests == []  # never followed, so the key went nowhere else
    assert ex.broken.startswith(f"the target answered {status} (a redirect to http://127.0.0.1:")
    assert KEY not in ex.broken
    from respcheck.judge import judge

    assert "transport.complete" in {f.check_id for f in judge(ex) if f.severity.value == "error"}


@pytest.mark.parametrize("token, named", [
    ("NaN", "NaN is not a JSON number"),
    ("-Infinity", "-Infinity is not a JSON number"),
    ("1e999", "overflows to inf"),
    ("9" * 400, "(400 digits) is beyond 64 bits"),
    ("9" * 5000, "more than 4,300 digits"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),
    ('{"k":' * 300 + "1" + "}" * 300, "nested deeper than 64 levels"),
])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_unreadable_json_is_a_finding_recorded_as_strict_json(
    server: RawServer, token: str, named: str, stream: bool
) -> None:
    from respcheck.exchange import to_json_line
    from respcheck.judge import judge
    from respcheck.replay.jsonl import exchange_from_record, exchange_to_record

    text = f'{{"type": "response.created", "sequence_number": 0, "metadata": {{"v": {token}}}}}'

    def handler(c: Conn) -> None:
        if stream:
            c.head(content_type="text/event-stream")
            c.send(f"event: response.created\ndata: {text}\n\nretry: {'7' * 5000}\n\n")
        else:
            c.head(length=len(text))
            c.send(text)

    server.handler = handler
    lines: list[str] = []
    record_line = lambda ex: lines.append(to_json_line(exchange_to_record(ex)))  # noqa: E731
    with make_client(server.url, recorder=record_line) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": stream})
    findings = judge(ex)
    assert any(named in f.message for f in findings), [f.message for f in findings]
    record = json.loads(lines[0], parse_constant=lambda t: pytest.fail(f"{t} written raw"))
    judge(exchange_from_record(record))  # its own recording replays without an internal error
    if stream:
        assert any("retry value of 5000 digits" in f.message for f in findings)


def test_a_flood_of_bad_events_is_a_few_findings_with_counts(server: RawServer) -> None:
    from respcheck.findings import FOLD_AFTER
    from respcheck.judge import judge

    def flood(c: Conn) -> None:
        c.head(content_type="text/event-stream")
        c.send(b"data:1\n\n" * 300_000 + b"nonsense\n" * 1000)

    server.handler = flood
    with make_client(server.url, max_body_bytes=8 * 1024 * 1024, timeouts=Timeouts(5, 5, 30, 60)) as client:
        ex = client.create({"model": "m", "input": "hi", "stream": True})
    started = time.monotonic()
    findings = judge(ex)
    assert time.monotonic() - started < 60
    assert len(findings) < 40
    by_check = collections.Counter(f.check_id for f in findings)
    assert max(by_check.values()) <= FOLD_AFTER
    folded = [f for f in findings if f.count > 1]
    assert folded and all("more findings of this check in this exchange" in f.message for f in folded)
    assert max(f.count for f in folded) >= 50_000


@pytest.mark.parametrize("answer", ["redirect", "error", "empty-stream"])
def test_suites_never_crash_on_unexpected_answers(server: RawServer, tmp_path, answer: str) -> None:
    """Every answer a 3xx, an error envelope, or an empty 200: tests fail with findings or one line each,
    never with a KeyError/IndexError traceback."""
    import subprocess
    import sys

    def handler(c: Conn) -> None:
        if answer == "redirect":
            c.json({}, status=302, extra=f"Location: http://127.0.0.1:9/elsewhere?key={KEY}\r\n")
        elif answer == "error":
            c.json({"error": {"message": "nope", "type": "invalid_request_error", "param": None,
                              "code": None}}, status=400)
        else:
            c.head(content_type="text/event-stream" if b'"stream": true' in c.body else "application/json",
                   length=0)

    server.handler = handler
    done = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "run", "--base-url", server.url, "--api-key-env",
         "RESPCHECK_TEST_KEY", "--suite", "lifecycle", "--suite", "background", "--suite", "streaming",
         "--suite", "conversation", "--budget-rps", "1000", "--report-dir", str(tmp_path / "run"),
         "--hypothesis-profile", "smoke"],
        capture_output=True, text=True, timeout=300, env={**__import__("os").environ, **ENV}, cwd=tmp_path,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    junit = (tmp_path / "run" / "junit.xml").read_text()
    for crash in ("KeyError", "IndexError", "TypeError", "Traceback"):
        assert crash not in out and crash not in junit, out[-3000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["totals"].get("failed", 0) > 5
    assert KEY not in out and KEY not in junit


def test_the_watchdog_runs_each_armed_action_at_its_time_and_never_a_disarmed_one() -> None:
    from respcheck.wire import Watchdog

    watchdog, ran, done = Watchdog(), [], threading.Event()
    now = time.monotonic()
    late = watchdog.arm(now + 0.3, lambda: (ran.append("late"), done.set()))
    dropped = watchdog.arm(now + 0.1, lambda: ran.append("dropped"))
    watchdog.arm(now + 0.05, lambda: ran.append("early"))  # armed last, due first: wakes the thread
    watchdog.disarm(dropped)
    assert done.wait(5), "the watchdog never ran the last action"
    assert ran == ["early", "late"]
    assert time.monotonic() - now >= 0.3
    watchdog.disarm(late)  # after it ran: harmless


def test_an_action_that_raises_does_not_stop_the_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    from respcheck.wire import Watchdog

    reported: list[type[BaseException]] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_type))
    watchdog, done = Watchdog(), threading.Event()

    def broken() -> None:
        raise RuntimeError("a cut that failed")

    watchdog.arm(time.monotonic(), broken)
    watchdog.arm(time.monotonic() + 0.05, done.set)
    assert done.wait(5)
    assert reported == [RuntimeError]

