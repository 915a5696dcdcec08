"""One run, one session: the same report whichever way the suites ran.

- ``respcheck run -n 2`` writes a report whose target, base URL, key variable, history
  comparison and repros are those of the ``-n 0`` run (the target resolved once, sent to the
  workers as data);
- plain ``pytest --target X --report-dir D`` (no paths: the installed suites) writes the same
  set of files as ``respcheck run``, JUnit and Allure included;
- events survive the trip through plain data.
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from respcheck.config import reference_target
from respcheck.faults.layer import FaultLayer, resolve
from respcheck.server.run import start_server
from respcheck.session.events import ExchangeJudged, RunFinished, TestFinished, event_from_data, to_data
from respcheck.session.target import target_from_json, target_to_json

CLI = [sys.executable, "-c", "from respcheck.cli import main; main()"]
REPORT_FILES = {"summary.json", "findings.ndjson", "exchanges.jsonl", "exchanges.har", "index.html",
                "junit.xml", "allure-results"}


@pytest.fixture(scope="module")
def broken_relay() -> Iterator[str]:
    """A relay whose deletes do nothing: the lifecycle tests fail with multi-call repros."""
    server = start_server(app_wrapper=lambda app: FaultLayer(app, resolve("delete_noop")))
    try:
        yield server.base_url
    finally:
        server.stop()


def _run(base_url: str, workers: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "run", "--base-url", base_url, "--api-key-env", "RELAY_KEY", "--suite", "lifecycle",
         "-k", "delete", "-n", workers, "--report-dir", str(report_dir)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "RELAY_KEY": "sk-relay-session-test"},
    )


def _repros(report_dir: Path) -> list[str]:
    page = (report_dir / "index.html").read_text()
    found = [html.unescape(c) for c in re.findall(r'<pre class="curl">(.*?)</pre>', page)]
    junit = "".join(ET.parse(report_dir / "junit.xml").getroot().itertext())
    allure = "".join(json.loads(p.read_text())["statusDetails"]["message"]
                     for p in (report_dir / "allure-results").glob("*-result.json"))
    assert all(c in junit and c in allure for c in found)  # one builder: JUnit and Allure show the page's
    return sorted(re.sub(r"resp_[A-Za-z0-9_-]+", "resp_X", c) for c in found)


def test_a_run_under_xdist_reports_what_the_one_process_run_reports(
    broken_relay: str, tmp_path: Path
) -> None:
    single, parallel = _run(broken_relay, "0", tmp_path / "a"), _run(broken_relay, "2", tmp_path / "b")
    assert single.returncode == parallel.returncode == 1, single.stderr + parallel.stderr
    a = json.loads((tmp_path / "a" / "summary.json").read_text())
    b = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert a["target"] == b["target"]
    assert a["target"]["base_url"] == broken_relay and a["target"]["api_key_env"] == "RELAY_KEY"
    assert sorted(t["nodeid"] for t in a["tests"]) == sorted(t["nodeid"] for t in b["tests"])
    # the history compares the -n 2 run with the -n 0 run of the same target: nothing changed
    assert b["changes"]["previous"]["report_dir"] == str(tmp_path / "a")
    assert not any(b["changes"].get(k) for k in ("newly_failing", "fixed"))
    repros = _repros(tmp_path / "a")
    assert repros and repros == _repros(tmp_path / "b")
    assert all("$RELAY_KEY" in r and broken_relay.removesuffix("/v1") in r for r in repros)
    assert a["spend"]["requests"] == b["spend"]["requests"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_plain_pytest_writes_the_same_files_as_respcheck_run(tmp_path: Path, workers: str) -> None:
    report_dir = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--target", "reference", "--report-dir", str(report_dir),
         "-k", "unknown", "-p", "no:cacheprovider", "-q", "-n", workers],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert {p.name for p in report_dir.iterdir()} == REPORT_FILES
    summary = json.loads((report_dir / "summary.json").read_text())
    assert summary["target"]["name"] == "reference" and summary["tests"]
    assert len(list((report_dir / "allure-results").glob("*-result.json"))) == len(summary["tests"])
    assert "<testcase" in (report_dir / "junit.xml").read_text()


def test_events_and_the_target_travel_as_plain_data() -> None:
    events = [
        ExchangeJudged("t", "ex-1", [{"check_id": "a", "severity": "error"}]),
        TestFinished("t", area="create", outcome="failed", findings=[{"check_id": "a"}], exchanges=["ex-1"]),
        RunFinished({"verdict": "fail"}, 1),
    ]
    assert [event_from_data(json.loads(json.dumps(to_data(e)))) for e in events] == events
    target = reference_target().with_base_url("http://127.0.0.1:1/v1")
    assert target_from_json(target_to_json(target)) == target


def test_a_target_that_dies_after_the_preflight_is_exit_2_in_one_line(tmp_path: Path) -> None:
    """The preflight's connection is the only one the target ever accepts: then it is gone."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_once_then_die() -> None:
        connection, _ = listener.accept()
        connection.close()
        listener.close()

    threading.Thread(target=accept_once_then_die, daemon=True).start()
    done = subprocess.run(
        [*CLI, "run", "--base-url", f"http://127.0.0.1:{port}/v1", "--api-key-env", "RELAY_KEY",
         "--suite", "create", "--report-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "RELAY_KEY": "sk-relay-session-test"},
    )
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stderr.count("\n") == 1 and "stopped answering" in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["exit_code"] == 2 and summary["target_lost"].startswith("target unreachable")
