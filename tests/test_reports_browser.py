"""The report pages rendered by a real headless browser (Debian's chromium).

Asserts on the DOM chromium builds from index.html and the matrix page: what a reader sees,
after the browser's own parsing (so an escaping slip that breaks the markup shows up here).
Skipped only when chromium is not installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from respcheck.redact import register_secret
from respcheck.reports import build_matrix, write_reports
from tests.test_reports import FAILING_TEST, failing_run, make_summary, write_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)

KEY = "sk-browser-dummy-key-5555aaaabbbbcccc"
# Flags for a quiet, offline, disposable browser (no sandbox: the tests may run as root in a container).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(page: Path, profile: Path, *args: str) -> str:
    """Run chromium on a local file; its stdout (the DOM with --dump-dom)."""
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False,  # a guard against a hung browser
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    register_secret(KEY)
    root = tmp_path_factory.mktemp("browser")
    before = make_summary(target="relay-a", started_at=1_000.0)
    write_run(root / "a0", before, [])
    write_reports(root / "a0", before)
    failing_run(root / "a1", target="relay-a", started_at=90_000.0)
    summary = json.loads((root / "a1" / "summary.json").read_text())
    summary["tests"][0]["message"] += f"\nE   the relay echoed {KEY}"
    write_reports(root / "a1", summary)
    passing = make_summary(target="relay-b", started_at=90_001.0)
    write_run(root / "b1", passing, [])
    write_reports(root / "b1", passing)
    matrix = build_matrix([root / "a1", root / "b1"], root / "matrix.html", root / "history.sqlite")
    return {"index": root / "a1" / "index.html", "matrix": matrix, "profile": root / "chromium-profile"}


def test_index_renders_verdict_matrix_failures_and_no_key(pages: dict[str, Path]) -> None:
    dom = chromium(pages["index"], pages["profile"], "--dump-dom")
    assert '<h1 id="verdict">FAIL</h1>' in dom
    assert '<td class="n failed">1</td>' in dom  # the area matrix
    assert '<span class="chip claimed"' in dom
    failures = dom[dom.index('id="failures"'):dom.index('id="warnings"')]
    assert FAILING_TEST in failures and "stream.sequence.increments" in failures
    assert "/response/events/3/data/sequence_number" in failures
    assert "$RELAY_A_KEY" in failures
    assert "Newly failing tests (1)" in dom
    assert KEY not in dom and "[REDACTED]" in dom


def test_matrix_renders_targets_as_columns_and_no_key(pages: dict[str, Path]) -> None:
    dom = chromium(pages["matrix"], pages["profile"], "--dump-dom")
    assert '<h1 id="verdict">1 of 2 targets pass</h1>' in dom
    assert '<a href="a1/index.html">relay-a</a>' in dom and '<a href="b1/index.html">relay-b</a>' in dom
    assert '<td class="failed" data-failed="1">0/1 passed · 1 failed</td>' in dom
    assert "1 newly failing" in dom
    assert KEY not in dom


def test_index_screenshot_is_written(pages: dict[str, Path], tmp_path: Path) -> None:
    """A full-page PNG comes out (the layout itself was reviewed by eye)."""
    shot = tmp_path / "index.png"
    chromium(pages["index"], pages["profile"], f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
