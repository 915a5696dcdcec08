"""``--concurrency N``: tests at once in one process, with the reports of a sequential run.

The machinery (respcheck.concurrency) on a small pytest project of its own: shared fixtures made once,
reports in collection order, tests overlapping, tests run alone first or last. Then ``respcheck run`` against
a slow ``respcheck serve`` with a fault, sequential and concurrent: the same verdict, findings and
exchanges, tests overlapping; and the requests_per_second budget held.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from respcheck.reports.exchanges import copy_in_test_order
from tests.test_run import REPO, respcheck

CONFTEST = """
import json, os
import pytest
from respcheck.concurrency import run_concurrently

def log(*what):
    with open(os.environ["CONCURRENCY_LOG"], "a") as out:
        out.write(json.dumps(what) + "\\n")

@pytest.fixture(scope="session")
def shared():
    log("session-setup")
    yield
    log("session-teardown")

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if session.config.option.collectonly:
        return None
    run_concurrently(session, 4, alone_first=lambda item: item.get_closest_marker("first") is not None,
                     alone_last=lambda item: item.get_closest_marker("last") is not None)
    return True
"""

MODULE = """
import time
import pytest
from conftest import log

@pytest.fixture(scope="module")
def per_module():
    log("module-setup", __name__)
    yield
    log("module-teardown", __name__)

@pytest.mark.parametrize("n", range(4))
def test_wait(shared, per_module, n):
    log("start", f"{__name__}-{n}", time.monotonic())
    time.sleep(0.4)
    log("end", f"{__name__}-{n}", time.monotonic())

def test_fails(per_module):
    assert 1 == 2

@pytest.mark.last
def test_alone_last(shared):
    log("start", f"{__name__}-last", time.monotonic())
    time.sleep(0.2)
    log("end", f"{__name__}-last", time.monotonic())

@pytest.mark.first
def test_alone_first(shared):
    log("start", f"{__name__}-first", time.monotonic())
    time.sleep(0.2)
    log("end", f"{__name__}-first", time.monotonic())
"""


def _intervals(log: list[list[Any]]) -> dict[str, tuple[float, float]]:
    starts = {e[1]: e[2] for e in log if e[0] == "start"}
    return {name: (starts[name], e[2]) for e in log if e[0] == "end" for name in [e[1]]}


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


def test_tests_run_at_once_with_fixtures_made_once_and_reports_in_collection_order(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    for name in ("test_a", "test_b"):
        (tmp_path / f"{name}.py").write_text(MODULE)
    log_path = tmp_path / "log.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly", "-n0",
         "--junitxml", str(tmp_path / "junit.xml"), str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"CONCURRENCY_LOG": str(log_path), "PATH": "", "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 failed, 12 passed" in done.stdout
    log = [json.loads(line) for line in log_path.read_text().splitlines()]
    kinds = Counter(e[0] for e in log)
    assert kinds["session-setup"] == kinds["session-teardown"] == 1
    assert kinds["module-setup"] == kinds["module-teardown"] == 2
    intervals = _intervals(log)
    assert len(intervals) == 12
    # the module fixtures outlive every test (another thread may be using them)
    last_end = max(end for _, end in intervals.values())
    teardown_at = [i for i, e in enumerate(log) if e[0] == "module-teardown"]
    assert all(i > max(j for j, e in enumerate(log) if e[0] == "end") for i in teardown_at), last_end
    # tests overlap, up to 4 at once, and they took far less than one after another
    alone = ("test_a-first", "test_b-first", "test_a-last", "test_b-last")
    together = [span for name, span in intervals.items() if name not in alone]
    assert most_at_once(together) == 4
    took = max(end for _, end in together) - min(start for start, _ in together)
    assert took < 0.6 * sum(end - start for start, end in together)
    # a serial test runs with nothing else under way
    for name in alone:
        start, end = intervals[name]
        assert all(e <= start or s >= end for other, (s, e) in intervals.items() if other != name)
    # the first ones before all the others, the last ones after them
    firsts, lasts = [intervals[n] for n in alone[:2]], [intervals[n] for n in alone[2:]]
    assert max(e for _, e in firsts) <= min(s for s, _ in together)
    assert min(s for s, _ in lasts) >= max(e for _, e in together)
    # every report in collection order, as a sequential run gives them
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, env={"PATH": "", "PYTHONPATH": str(REPO)},
    ).stdout.split()
    collected = [c for c in collected if "::" in c]
    reported = re.findall(r"^(\S+::\S+) (?:PASSED|FAILED)", done.stdout, re.M)
    assert reported == collected, (len(reported), len(collected))
    junit = re.findall(r'<testcase classname="([^"]+)" name="([^"]+)"', (tmp_path / "junit.xml").read_text())
    assert [f"{cls.rsplit('.', 1)[-1]}.py::{name}" for cls, name in junit] == [
        c.rsplit("/", 1)[-1] for c in collected]


INTERRUPTED_CONFTEST = """
import json, os, threading
import pytest
from respcheck.concurrency import run_concurrently

STOP = threading.Event()

def log(*what):
    with open(os.environ["CONCURRENCY_LOG"], "a") as out:
        out.write(json.dumps(what) + "\\n")

def interrupted():
    log("on_interrupt")
    STOP.set()

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    run_concurrently(session, 4, on_interrupt=interrupted)
    return True
"""

INTERRUPTED_MODULE = """
import _thread, time
import pytest
from conftest import STOP, log

@pytest.mark.parametrize("n", range(3))
def test_long(n):
    stopped = STOP.wait(timeout=30)  # a generated test's 200 requests against a slow relay
    log("ended", n, "by the interrupt" if stopped else "at its own end")

def test_ctrl_c():
    time.sleep(0.3)
    _thread.interrupt_main()  # what Ctrl-C does to the main thread, waiting for the tests under way
"""


def test_an_interrupt_tells_the_tests_under_way_to_stop(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(INTERRUPTED_CONFTEST)
    (tmp_path / "test_interrupted.py").write_text(INTERRUPTED_MODULE)
    log_path = tmp_path / "log.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-n0",
         str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"CONCURRENCY_LOG": str(log_path), "PATH": "", "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-2000:]  # interrupted
    log = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert log[0] == ["on_interrupt"]
    assert sorted(e[1:] for e in log[1:]) == [[n, "by the interrupt"] for n in range(3)]


def test_exchanges_are_put_in_test_order_each_test_keeping_its_own() -> None:
    lines = [json.dumps({"test": t, "n": n}).encode() + b"\n"
             for t, n in [("b", 1), ("a", 1), ("b", 2), (None, 3), ("a", 2)]]
    out = io.BytesIO()
    copy_in_test_order(io.BytesIO(b"".join(lines)), out, {"a": 0, "b": 1})
    order = [(r["test"], r["n"]) for r in map(json.loads, out.getvalue().splitlines())]
    assert order == [("a", 1), ("a", 2), ("b", 1), ("b", 2), (None, 3)]


# -- respcheck run against a slow server -----------------------------------------------------------

KEY_ENV = "RESPCHECK_CONCURRENCY_KEY"
_SERVER_ID = re.compile(r"\b(resp|msg|fc|rs|call|req|item)_[0-9a-zA-Z]+")


@pytest.fixture(scope="module")
def slow_faulty_server() -> Iterator[str]:
    """``respcheck serve`` with a 0.2 s time to first byte and a fault (usage named as in Chat)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "respcheck.cli", "serve", "--port", "0", "--api-key", "sk-conc",
         "--latency-ttfb", "0.2", "--fault", "usage_chat_names"],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip().split()[-1]
    finally:
        child.terminate()
        child.wait(30)


def _masked(value: Any) -> str:
    return _SERVER_ID.sub(r"\1_*", json.dumps(value, sort_keys=True))


def _targets_file(tmp_path: Path, url: str, **extra: Any) -> Path:
    """A targets.yaml naming one target, ``slow``, at ``url``, claiming every capability (``extra``: more
    of its keys, e.g. ``timeouts``)."""
    import yaml

    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"targets": {"slow": {
        "base_url": url, "api_key_env": KEY_ENV, "profile": "openai", "capabilities": "all",
        "models": {"text": "gpt-4.1-mini", "reasoning": "gpt-5-mini", "vision": "gpt-4o-mini"}, **extra}}}))
    return targets


def _run(tmp_path: Path, url: str, name: str, *options: str) -> dict[str, Any]:
    targets = _targets_file(tmp_path, url)
    report = tmp_path / name
    result = respcheck("run", "--targets-file", str(targets), "--target", "slow", "--suite", "create",
                       "--suite", "streaming", "--suite", "lifecycle", "--report-dir", str(report),
                       "--progress", "off", *options, env={KEY_ENV: "sk-conc"})
    summary = json.loads((report / "summary.json").read_text())
    records = [json.loads(line) for line in (report / "exchanges.jsonl").read_text().splitlines()]
    return {"exit": result.returncode, "summary": summary, "records": records}


def _recorded(count: int) -> Callable[[Path], bool]:
    """Whether ``count`` exchanges are recorded in a run's report folder (its part file, as it runs)."""
    def enough(report: Path) -> bool:
        recording = report / "exchanges-main.jsonl"
        return recording.is_file() and len(recording.read_text().splitlines()) >= count

    return enough


def _interrupted_run(tmp_path: Path, url: str, until: Callable[[Path], bool], *options: str,
                     signals: tuple[signal.Signals, ...] = (signal.SIGINT,),
                     **target: Any) -> tuple[int, str, str, Path]:
    """``respcheck run`` against ``url`` with ``options`` (``target``: more keys of its targets.yaml entry),
    sent ``signals`` (Ctrl-C's SIGINT) once ``until(report folder)`` (at most 60 s): its exit code, output,
    errors and report folder."""
    targets = _targets_file(tmp_path, url, **target)
    report = tmp_path / "report"
    run = subprocess.Popen(
        [sys.executable, "-m", "respcheck.cli", "run", "--targets-file", str(targets), "--target", "slow",
         *options, "--report-dir", str(report), "--progress", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, KEY_ENV: "sk-conc"},
    )
    try:
        for _ in range(600):
            if until(report):
                break
            time.sleep(0.1)
        for sent in signals:
            run.send_signal(sent)
            time.sleep(0.1)
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
    return run.returncode, out, err, report


@pytest.mark.parametrize("signals", [
    pytest.param((signal.SIGINT,), id="ctrl-c"),
    # a CI job cancelled or timed out: SIGTERM, maybe twice; the second must not cut the report short
    pytest.param((signal.SIGTERM, signal.SIGTERM), id="sigterm-twice"),
])
def test_a_run_interrupted_after_some_tests_reports_them_as_interrupted(
        tmp_path: Path, slow_faulty_server: str, signals: tuple[signal.Signals, ...]) -> None:
    """Ctrl-C (or SIGTERM) once some tests have finished (a create test sends 1 to 3 requests): the report
    of what ran is written, and every place that states the verdict says "interrupted" with exit 130 (the
    run's own exit code), not "error" (2) or "fail" (1). Python's own SIGTERM ended the run at once:
    exit -15, no report."""
    code, out, err, report = _interrupted_run(tmp_path, slow_faulty_server, _recorded(8), "--suite", "create",
                                              "--concurrency", "1", signals=signals)
    assert code == 130, out[-2000:] + err[-2000:]
    summary = json.loads((report / "summary.json").read_text())
    assert (summary["verdict"], summary["exit_code"]) == ("interrupted", 130)
    assert summary["tests"], "the tests that finished are in the report"
    assert "verdict: interrupted (exit 130)" in out
    assert "INTERRUPTED" in (report / "index.html").read_text()


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_a_run_stopped_before_any_test_finished_reports_what_it_sent(tmp_path: Path,
                                                                     concurrency: str) -> None:
    """Ctrl-C while the first test's first request is under way (a slow model takes minutes to answer
    the first tests): the report is written all the same, no test in it, the request sent counted,
    verdict "interrupted", exit 130. Before, tests at once wrote no report ("respcheck: interrupted"
    only), and one at a time reported the test under way as passed."""
    import threading

    from tests.test_client import Conn, RawServer

    server, held, answered = RawServer(), threading.Event(), threading.Event()

    def preflight_then_hold(conn: Conn) -> None:  # the key preflight answered; every later request held
        if answered.is_set():
            held.set()
            conn.wait(60)
        else:
            answered.set()
            conn.json({"error": {"message": "empty body", "type": "invalid_request_error"}}, status=400)

    server.handler = preflight_then_hold
    try:
        code, out, err, report = _interrupted_run(tmp_path, server.url, lambda report: held.is_set(),
                                                  "--suite", "create", "--concurrency", concurrency,
                                                  timeouts={"first_byte": 2})
    finally:
        server.stop()
    assert held.is_set(), "no request reached the server"
    assert code == 130, out[-2000:] + err[-2000:]
    summary = json.loads((report / "summary.json").read_text())
    assert (summary["verdict"], summary["exit_code"], summary["tests"]) == ("interrupted", 130, [])
    assert summary["spend"]["requests"] >= 1  # the request held unanswered
    assert "verdict: interrupted (exit 130)" in out and "Traceback" not in out + err


def test_ctrl_c_stops_generated_tests_at_their_next_request(tmp_path: Path, slow_faulty_server: str) -> None:
    """Each generated test sends 200 requests: on Ctrl-C, those under way stop at their next one instead
    of running to their end (1,200 requests, ~20 s against this server)."""
    code, out, err, report = _interrupted_run(tmp_path, slow_faulty_server, _recorded(20),
                                              "--suite", "generated", "--hypothesis-profile", "nightly",
                                              "--concurrency", "4")
    assert code == 130, out[-2000:] + err[-2000:]  # README: Exit codes
    assert "Traceback" not in out + err
    sent = len((report / "exchanges.jsonl").read_text().splitlines())  # the report is written, no test done
    assert sent < 300, sent  # what was under way ended; nothing new was sent


def test_a_concurrent_run_reports_what_a_sequential_one_does(tmp_path: Path, slow_faulty_server: str) -> None:
    sequential = _run(tmp_path, slow_faulty_server, "sequential", "--concurrency", "1")
    concurrent = _run(tmp_path, slow_faulty_server, "concurrent", "--concurrency", "8")
    seq, conc = sequential["summary"], concurrent["summary"]
    assert sequential["exit"] == concurrent["exit"] == 1  # the fault fails tests
    assert seq["verdict"] == conc["verdict"] == "fail"
    assert seq["spend"]["requests"] == conc["spend"]["requests"] == len(concurrent["records"])
    assert [(t["nodeid"], t["outcome"]) for t in seq["tests"]] == [(t["nodeid"], t["outcome"])
                                                                   for t in conc["tests"]]

    def findings(summary: dict[str, Any]) -> Counter[str]:
        return Counter(_masked([t["nodeid"], f["check_id"], f.get("location"), f["severity"]])
                       for t in summary["tests"] for f in t.get("findings") or ()
                       if f["check_id"] != "stream.buffered")  # a timing warning: how busy the machine was

    assert "usage.names" in {f["check_id"] for t in conc["tests"] for f in t.get("findings") or ()}
    assert findings(seq) == findings(conc)

    def exchanges(records: list[dict[str, Any]]) -> Counter[str]:
        return Counter(_masked([r["test"], r["request"]["method"], r["request"]["path"],
                                r["request"].get("body"), r["response"].get("status")]) for r in records)

    assert exchanges(sequential["records"]) == exchanges(concurrent["records"])
    # exchanges.jsonl is in test order, as the sequential run's
    tests_in_file = list(dict.fromkeys(r["test"] for r in concurrent["records"]))
    assert tests_in_file == list(dict.fromkeys(r["test"] for r in sequential["records"]))
    # and the tests did overlap: several requests in flight at once
    spans = [(r["started_at"], r["started_at"] + r["response"]["elapsed"]) for r in concurrent["records"]]
    assert most_at_once(spans) >= 4


def test_concurrent_tests_keep_to_the_requests_per_second_budget(tmp_path: Path) -> None:
    rate = 10.0
    result = respcheck("run", "--suite", "create", "--concurrency", "8", "--budget-rps", str(rate),
                       "--report-dir", str(tmp_path / "r"), "--progress", "off")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    records = [json.loads(line) for line in (tmp_path / "r" / "exchanges.jsonl").read_text().splitlines()]
    starts = sorted(r["started_at"] for r in records)
    assert len(starts) >= 20
    # a token bucket of one: each request starts at least 1/rate after the one before (clock slack 20 ms)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 1 / rate - 0.02, sorted(gaps)[:5]


def test_tests_ending_at_once_never_fail_on_pytests_current_test_variable(monkeypatch: pytest.MonkeyPatch):
    """pytest pops PYTEST_CURRENT_TEST at each test's end: two tests ending at once raised KeyError in
    the second one's teardown (seen in a full run of tests/test_findings.py)."""
    from respcheck.concurrency import current_test_var_shared

    class Item:
        nodeid = "suites/test_x.py::test_y"

    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    current_test_var_shared(Item(), "call")  # type: ignore[arg-type]
    assert os.environ["PYTEST_CURRENT_TEST"] == "suites/test_x.py::test_y (call)"
    current_test_var_shared(Item(), None)  # type: ignore[arg-type]
    current_test_var_shared(Item(), None)  # type: ignore[arg-type]  (the other test's end: no KeyError)
    assert "PYTEST_CURRENT_TEST" not in os.environ


def test_threads_setting_and_clearing_pytests_current_test_variable_at_once_never_fail(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.environ.pop(name, None)`` is a look-up then a delete: another thread's pop in between made it
    raise KeyError (a CI run's teardown did). Eight threads setting and clearing it, switching as often as
    the interpreter lets them: no KeyError (without the lock, a few each run)."""
    import threading

    from respcheck.concurrency import current_test_var_shared

    class Item:
        nodeid = "suites/test_x.py::test_y"

    failures: list[BaseException] = []

    def set_and_clear() -> None:
        try:
            for _ in range(2000):
                current_test_var_shared(Item(), "call")  # type: ignore[arg-type]
                current_test_var_shared(Item(), None)  # type: ignore[arg-type]
        except KeyError as exc:
            failures.append(exc)

    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=set_and_clear) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert "PYTEST_CURRENT_TEST" not in os.environ
