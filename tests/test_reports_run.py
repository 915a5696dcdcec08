"""End to end: ``respcheck run`` against the embedded reference server leaves the whole report.

One small real run (a few lifecycle tests): index.html, a HAR that ``respcheck replay`` judges,
a history row with ``changes`` in summary.json, and not one copy of the reference key anywhere
in the report folder (JUnit and Allure results included).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from respcheck.config import REFERENCE_API_KEY
from respcheck.reports.history import open_history, runs

CLI = [sys.executable, "-c", "from respcheck.cli import main; main()"]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report_dir = tmp_path_factory.mktemp("reports") / "run"
    done = subprocess.run(
        [*CLI, "run", "--suite", "lifecycle", "-k", "unknown", "--report-dir", str(report_dir)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert "could not write" not in done.stderr, done.stderr
    return report_dir


def test_a_run_writes_the_page_the_har_and_the_history(report: Path) -> None:
    summary = json.loads((report / "summary.json").read_text())
    assert summary["tests"] and summary["changes"]["previous"] is None
    page = (report / "index.html").read_text()
    assert f'<h1 id="verdict">{ {"pass": "PASS", "fail": "FAIL"}[summary["verdict"]] }</h1>' in page
    assert f'<h2>Failures ({summary["totals"].get("failed", 0)})</h2>' in page
    assert all(t["nodeid"] in page for t in summary["tests"])  # every test is on the page (timings)
    with open_history(report.parent / "history.sqlite") as db:
        stored = runs(db, "reference")
    assert [r.run_at for r in stored] == [summary["started_at"]]


def test_the_har_of_a_run_replays(report: Path) -> None:
    har = json.loads((report / "exchanges.har").read_text())
    recorded = (report / "exchanges.jsonl").read_text().splitlines()
    assert 0 < len(har["log"]["entries"]) <= len(recorded)
    done = subprocess.run([*CLI, "replay", "--json", str(report / "exchanges.har")],
                          capture_output=True, text=True, timeout=120, check=False)
    verdict = json.loads(done.stdout)
    assert verdict["summary"]["unreadable"] == 0
    assert verdict["summary"]["exchanges"] == len(har["log"]["entries"])


def test_no_file_of_the_run_carries_the_reference_key(report: Path) -> None:
    key = REFERENCE_API_KEY.encode()
    leaks = [p for p in report.parent.rglob("*") if p.is_file() and key in p.read_bytes()]
    assert leaks == []
