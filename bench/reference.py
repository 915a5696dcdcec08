"""Benchmark the reference server against a bare Starlette endpoint, in the same run.

Prints:
- non-streamed ``POST /v1/responses`` requests per second (keep-alive, concurrent clients);
- the time to serve 200 concurrent streams, each checked complete (ends with
  ``response.completed``) and in order (``sequence_number`` 0, 1, 2, ...);
and the same two figures for a bare Starlette app that returns pre-built bytes of the same
size and event count, so the ratio shows what the server's own work costs.

Each server runs in its own process (so the client does not share its GIL).

    .venv/bin/python bench/reference.py [--requests 2000] [--concurrency 16] [--streams 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from respcheck.sse import SSEParser

REQUEST = {"model": "gpt-4o-mini", "input": "What is 2 + 3 * 4?"}
STREAM_REQUEST = {
    "model": "gpt-4o-mini",
    "input": "Tell me a story about a lighthouse keeper who counts the waves every night.",
    "stream": True,
}
HEADERS = {"Authorization": "Bearer bench", "content-type": "application/json"}


# ---------------------------------------------------------------- the servers (child processes)


def serve_bare(json_body: bytes, frames: list[bytes]) -> None:
    """A bare Starlette app: the same bytes, no work (the framework's floor)."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    async def create(request: Request) -> Response:
        body = json.loads(await request.body())
        if body.get("stream"):

            async def stream():
                for frame in frames:
                    yield frame

            return StreamingResponse(stream(), media_type="text/event-stream")
        return Response(json_body, media_type="application/json")

    app = Starlette(routes=[Route("/v1/responses", create, methods=["POST"])])
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    asyncio.run(server.serve(sockets=[sock]))


def start_child(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1]
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    url = line.strip().split()[-1]
    return child, url


def stop_child(child: subprocess.Popen[str]) -> None:
    child.terminate()
    try:
        child.wait(10)
    except subprocess.TimeoutExpired:
        child.kill()


# ---------------------------------------------------------------- the client side
# A minimal HTTP/1.1 client on raw asyncio sockets: httpx costs more CPU per request than
# the servers do, so with it the bench would measure the client.


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base_url: str) -> Connection:
        host, port = base_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
        return cls(reader, writer)

    async def post(self, body: bytes, on_chunk: Callable[[bytes], None] | None = None) -> tuple[int, bytes]:
        """POST /v1/responses; the body (chunked or not) is returned, or fed to ``on_chunk``."""
        self.writer.write(
            b"POST /v1/responses HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer bench\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        headers = head.lower()
        if b"transfer-encoding: chunked" not in headers:
            length = int(headers.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
            return status, await self.reader.readexactly(length)
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return status, b"".join(parts)
            chunk = (await self.reader.readexactly(size + 2))[:-2]
            if on_chunk is not None:
                on_chunk(chunk)
            else:
                parts.append(chunk)

    def close(self) -> None:
        self.writer.close()


async def requests_per_second(base_url: str, total: int, concurrency: int) -> float:
    body = json.dumps(REQUEST).encode()
    connections = [await Connection.open(base_url) for _ in range(concurrency)]
    await connections[0].post(body)  # warm-up
    remaining = iter(range(total))

    async def worker(connection: Connection) -> None:
        for _ in remaining:
            status, answer = await connection.post(body)
            assert status == 200, answer

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return total / elapsed


async def one_stream(base_url: str) -> int:
    parser = SSEParser()
    connection = await Connection.open(base_url)
    try:
        status, _ = await connection.post(json.dumps(STREAM_REQUEST).encode(), parser.feed)
    finally:
        connection.close()
    parser.close()
    assert status == 200
    numbers = [e.json["sequence_number"] for e in parser.events]
    assert numbers == list(range(len(numbers))), "events out of order"
    assert parser.events[-1].json["type"] == "response.completed", "stream incomplete"
    return len(numbers)


async def concurrent_streams(base_url: str, count: int) -> tuple[float, int]:
    await one_stream(base_url)  # warm-up
    started = time.perf_counter()
    lengths = await asyncio.gather(*(one_stream(base_url) for _ in range(count)))
    return time.perf_counter() - started, sum(lengths)


def reference_bytes(base_url: str) -> tuple[bytes, list[bytes]]:
    """One JSON answer and one stream from the reference server, to replay from the bare app."""
    with httpx.Client(base_url=base_url, headers=HEADERS) as client:
        body = client.post("/responses", content=json.dumps(REQUEST)).content
        raw = client.post("/responses", content=json.dumps(STREAM_REQUEST)).content
    frames = [block + b"\n\n" for block in raw.split(b"\n\n") if block]
    return body, frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--bare-server", help=argparse.SUPPRESS)  # internal: run the bare app
    args = parser.parse_args()
    if args.bare_server:
        payload = json.loads(Path(args.bare_server).read_text())
        serve_bare(payload["json"].encode(), [f.encode() for f in payload["frames"]])
        return 0

    reference, reference_url = start_child(
        ["-c", "from respcheck.server.run import serve_main; serve_main('127.0.0.1', 0, None, None, 0.0)"]
    )
    try:
        body, frames = reference_bytes(reference_url)
        ref_rps = asyncio.run(requests_per_second(reference_url, args.requests, args.concurrency))
        ref_streams, ref_events = asyncio.run(concurrent_streams(reference_url, args.streams))
    finally:
        stop_child(reference)

    payload_file = Path(__file__).with_name(".bare-payload.json")
    payload_file.write_text(json.dumps({"json": body.decode(), "frames": [f.decode() for f in frames]}))
    bare, bare_url = start_child([__file__, "--bare-server", str(payload_file)])
    try:
        bare_rps = asyncio.run(requests_per_second(bare_url, args.requests, args.concurrency))
        bare_streams, bare_events = asyncio.run(concurrent_streams(bare_url, args.streams))
    finally:
        stop_child(bare)
        payload_file.unlink(missing_ok=True)

    print(f"non-streamed: {args.requests} requests, {args.concurrency} concurrent, keep-alive")
    print(f"  reference   {ref_rps:8.0f} req/s")
    print(f"  bare        {bare_rps:8.0f} req/s   (reference = {ref_rps / bare_rps:.0%} of bare)")
    print(f"streams: {args.streams} concurrent, {len(frames)} events each, all complete and in order")
    print(f"  reference   {ref_streams:8.3f} s   ({ref_events} events)")
    print(
        f"  bare        {bare_streams:8.3f} s   ({bare_events} events; reference takes "
        f"{ref_streams / bare_streams:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
