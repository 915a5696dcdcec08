"""Peak memory of respcheck's client against hostile targets, against a faithful baseline.

One reference server (behind the fault layer) runs in this process; each phase runs in a
child process of its own, so each peak RSS (``resource.getrusage``: the child's high-water
mark) belongs to that phase alone. A phase sends requests with the default client limits
(8 MiB body cap, the reference target's timeouts) and judges every exchange with all
checks, as a run does. Each phase runs twice: once for peak RSS, once under ``tracemalloc``
for Python's own traced peak (tracing inflates RSS, so the two are never measured together):

- ``baseline``: ordinary JSON and streamed creates against the faithful server;
- ``body_50mb``: a 200 answer with a 50 MB JSON body;
- ``endless_stream``: an event stream that never ends (deltas at ~10 MB/s, no terminal event);
- ``gzip_bomb``: 2 KB of ``Content-Encoding: gzip, gzip`` that inflates to 2 GiB (issue 13);
- ``event_flood``: 8 MiB of ``data:1`` (a million events): the events cap, findings folded;
- ``header_drip``: the status line one byte a second, ``timeouts.total: 6``: ends at 6 s.

The last three come from a raw-socket server in this process (they break HTTP itself).
"findings" is how many findings the phase's exchanges gave and "report" the size of those
findings as JSON (what a run would write about them). The bound is 200 MB peak RSS per phase.

A last phase, ``long_run``, measures what grows with the length of a run rather than with one
exchange: 50 and then 200 exchanges of 7.5 MB each go through the run's recorder (spilled to
disk as they happen) and every report handler (exchanges.jsonl, HAR, HTML, JUnit, Allure,
summary, history). Its peak must not grow with the number of exchanges.

    .venv/bin/python bench/hostile.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import resource
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

BOUND_MB = 200.0
KEY = "sk-bench-hostile"
PHASES = {
    "baseline": None,
    "body_50mb": "body_50mb",
    "endless_stream": "endless_stream",
    "gzip_bomb": "raw",
    "event_flood": "raw",
    "header_drip": "raw",
}
# timeouts.total of the raw phases (the drip: the 6 s; the others end at a cap, not a timeout)
RAW_TOTAL = {"gzip_bomb": 60.0, "event_flood": 60.0, "header_drip": 6.0}
REQUESTS = [
    {"model": "gpt-4.1-mini", "input": "Say hello in three words."},
    {"model": "gpt-4.1-mini", "input": "Tell me a story about a lighthouse keeper.", "stream": True},
]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def child(
    url: str, fault: str | None, rounds: int, trace: bool, total: float | None = None
) -> dict[str, object]:
    """One phase: ``rounds`` of every request, each exchange judged; the process's peak."""
    from respcheck.client import ResponsesClient
    from respcheck.config import reference_target
    from respcheck.faults.layer import FAULT_HEADER
    from respcheck.judge import judge_all

    if trace:
        tracemalloc.start()
    target = replace(
        reference_target().with_base_url(url),
        api_key_env="BENCH_KEY",
        headers={FAULT_HEADER: fault} if fault else {},
    )
    if total is not None:
        target = replace(target, timeouts=replace(target.timeouts, total=total))
    started = time.monotonic()
    broken: list[str] = []
    errors = findings = report_bytes = 0
    with ResponsesClient(target, environ={"BENCH_KEY": KEY}) as client:
        for _ in range(rounds):
            for body in REQUESTS:
                exchange = client.create(body)
                judged = judge_all(exchange, target.profiles)
                errors += sum(f.severity.value == "error" for _, f in judged)
                findings += len(judged)
                report_bytes += len(json.dumps([f.to_dict() for _, f in judged]))
                if exchange.broken:
                    broken.append(exchange.broken)
    _, traced_peak = tracemalloc.get_traced_memory()
    return {
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "traced_peak_mb": round(traced_peak / (1024 * 1024), 1) if trace else None,
        "elapsed_s": round(time.monotonic() - started, 2),
        "exchanges": rounds * len(REQUESTS),
        "error_findings": errors,
        "findings": findings,
        "report_kb": round(report_bytes / 1024, 1),
        "broken": sorted({b.split(" after ")[0] for b in broken}),
    }


def long_run(count: int, size_mb: float) -> dict[str, object]:
    """``count`` exchanges of ``size_mb`` each through the recorder and every report handler."""
    import tempfile
    from pathlib import Path

    from respcheck.exchange import Exchange, Request
    from respcheck.reports import file_handlers
    from respcheck.session.events import TestFinished
    from respcheck.session.recording import Recorder
    from respcheck.session.session import Session

    started = time.monotonic()
    text = "x" * int(size_mb * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "run"
        recorder = Recorder(report, "main", "bench")
        session = Session(None, file_handlers(report, Path(tmp) / "history.sqlite"))
        session.start()
        for i in range(count):
            recorder.test = f"suites/test_bench.py::test_{i}"
            recorder(Exchange(
                id=f"ex-{i}", request=Request("POST", "/v1/responses", body={"model": "m", "input": "hi"}),
                status=200, headers={"content-type": "application/json"}, elapsed=0.1,
                body={"id": f"resp_{i}", "object": "response", "status": "completed", "output_text": text},
            ))
            # the first test fails, so the page holds one repro
            session.emit(TestFinished(recorder.test, area="bench", outcome="failed" if i == 0 else "passed"))
        recorder.close()
        session.finish()
        written = sum(p.stat().st_size for p in report.rglob("*") if p.is_file())
    return {
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "traced_peak_mb": None,
        "elapsed_s": round(time.monotonic() - started, 2),
        "exchanges": count,
        "error_findings": 0,
        "broken": [f"{written / 1e9:.1f} GB written"],
    }


# -- hostile targets that break HTTP itself: a raw socket server ---------------------------------


def _gzip(chunks: Iterable[bytes]) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()


@functools.cache
def _bomb() -> bytes:
    return _gzip([_gzip(b" " * (1 << 20) for _ in range(2048))])  # 2 GiB inflated, ~2 KB sent


def _gzip_bomb(sock: socket.socket) -> None:
    kind = b"text/event-stream" if b'"stream": true' in _request(sock) else b"application/json"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Encoding: gzip, gzip\r\n"
    head += b"Content-Length: %d\r\n\r\n"
    sock.sendall(head % (kind, len(_bomb())) + _bomb())


def _event_flood(sock: socket.socket) -> None:
    _request(sock)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + b"data:1\n\n" * (1 << 20))


def _header_drip(sock: socket.socket) -> None:
    _request(sock)
    for byte in b"HTTP/1.1 200 OK\r\n" * 20:
        sock.sendall(bytes([byte]))
        time.sleep(1)


RAW_HANDLERS = {"gzip_bomb": _gzip_bomb, "event_flood": _event_flood, "header_drip": _header_drip}


def _request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), b"0"))
    while len(body) < length:
        body += sock.recv(65536)
    return body


@contextlib.contextmanager
def raw_server(handler: Callable[[socket.socket], None]) -> Iterator[str]:
    """A 127.0.0.1 server whose every connection is handed to ``handler``; yields its /v1 URL."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(sock: socket.socket) -> None:
        with contextlib.suppress(OSError), sock:
            handler(sock)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        listener.close()


def _run(command: list[str]) -> dict[str, object]:
    out = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("URL", "FAULT"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--long-run", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--total", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.long_run:
        print(json.dumps(long_run(args.long_run, 7.5)))
        return 0
    if args.child:
        url, fault = args.child
        print(json.dumps(child(url, None if fault == "-" else fault, args.rounds, args.trace, args.total)))
        return 0

    from respcheck.faults.layer import FaultLayer
    from respcheck.server.run import start_server

    results = {}
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, allow_header=True)) as server:
        for phase, fault in PHASES.items():
            with contextlib.ExitStack() as stack:
                url, rounds = server.base_url, args.rounds
                command = [sys.executable, __file__]
                if fault == "raw":
                    _bomb()  # built before the phase: building it must not count as the target's silence
                    url, rounds, fault = stack.enter_context(raw_server(RAW_HANDLERS[phase])), 1, None
                    command += ["--total", str(RAW_TOTAL[phase])]
                command += ["--rounds", str(rounds), "--child", url, fault or "-"]
                results[phase] = _run(command)
                results[phase]["traced_peak_mb"] = _run([*command, "--trace"])["traced_peak_mb"]
    for count in (50, 200):
        results[f"long_run {count}"] = _run([sys.executable, __file__, "--long-run", str(count)])
    base = results["baseline"]["peak_rss_mb"]
    header = ("phase", "peak RSS", "over baseline", "traced peak", "time")
    print(
        f"{header[0]:<16} {header[1]:>10} {header[2]:>14} {header[3]:>12} {header[4]:>8}  exchanges  "
        "findings  report  outcome"
    )
    over = False
    for phase, r in results.items():
        outcome = "; ".join(r["broken"]) or f"{r['error_findings']} error findings"
        print(
            f"{phase:<16} {r['peak_rss_mb']:>7.1f} MB {r['peak_rss_mb'] - base:>+11.1f} MB "
            f"{r['traced_peak_mb'] or 0:>9.1f} MB {r['elapsed_s']:>6.2f} s  {r['exchanges']:>9}  "
            f"{r.get('findings', 0):>8}  {r.get('report_kb', 0):>5.0f} KB  {outcome}"
        )
        over |= r["peak_rss_mb"] > BOUND_MB
    worst = max(r["peak_rss_mb"] for r in results.values())
    print(
        f"bound {BOUND_MB:g} MB peak RSS: {'EXCEEDED' if over else 'held'} (worst {worst:.1f} MB; "
        f"baseline {results['baseline']['peak_rss_mb']:.1f} MB)"
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
