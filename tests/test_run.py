"""``respcheck run`` end to end, as a user runs it: a subprocess, real sockets, real reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from respcheck.run import SUITES

REPO = Path(__file__).resolve().parents[1]
AREAS = set(SUITES)  # every suite is one area


def respcheck(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "respcheck.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _summary(report_dir: Path) -> dict:
    return json.loads((report_dir / "summary.json").read_text())


def test_run_against_reference_passes_every_area(tmp_path: Path) -> None:
    # run from an empty folder: it leaves nothing there but its report (hypothesis' caches go to
    # the user's cache folder)
    (tmp_path / "work").mkdir()
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "HYPOTHESIS_STORAGE_DIRECTORY": ""}
    result = respcheck("run", "--report-dir", str(tmp_path / "r"), cwd=tmp_path / "work", env=cache)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = _summary(tmp_path / "r")
    assert summary["verdict"] == "pass"
    assert len(summary["tests"]) >= 150
    assert set(summary["areas"]) == AREAS
    assert summary["totals"].get("failed", 0) == 0
    assert summary["spend"]["requests"] > 150
    for name in ("junit.xml", "findings.ndjson", "exchanges.jsonl", "index.html"):
        assert (tmp_path / "r" / name).is_file(), name
    assert "spend:" in result.stdout and "verdict: pass (exit 0)" in result.stdout
    assert list((tmp_path / "work").iterdir()) == []
    assert (tmp_path / "cache" / "respcheck" / "hypothesis").is_dir()


def test_pytest_suites_with_xdist_passes(tmp_path: Path) -> None:
    """The acceptance command ``pytest suites --target reference -n 2``."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "--target",
            "reference",
            "-n",
            "2",
            "-q",
            "-p",
            "no:randomly",
            "--report-dir",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
    # the summary, written by the xdist controller, names the target (it once said "unknown")
    assert _summary(tmp_path / "r")["target"]["name"] == "reference"


def test_unclaimed_background_is_unsupported_not_failed(tmp_path: Path) -> None:
    caps = "stream,store,retrieve,delete,input_items"
    result = respcheck(
        "run",
        "--suite",
        "background",
        "--suite",
        "create",
        "--capabilities",
        caps,
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert result.returncode == 0, result.stdout[-3000:]
    summary = _summary(tmp_path / "r")
    background = summary["areas"]["background"]
    assert background == {"unsupported": sum(background.values())}
    reasons = {t["message"] for t in summary["tests"] if t["area"] == "background"}
    assert reasons == {"unsupported (not claimed by target reference)"}
    assert summary["areas"]["create"].get("passed", 0) > 0


def test_unreachable_base_url_is_one_line_exit_2_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    # the key variable set: an unset one is refused before the connection is tried (issue 10)
    result = respcheck("run", "--base-url", "http://127.0.0.1:9", "--api-key-env", "X", cwd=tmp_path,
                       env={"X": "sk-respcheck-unreachable"})
    assert time.monotonic() - started < 15
    assert result.returncode == 2
    assert result.stderr.startswith("respcheck: cannot connect to http://127.0.0.1:9")
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--report-dir", "/proc/respcheck-nope"), "--report-dir: cannot create /proc/respcheck-nope"),
        (("-n", "many"), "-n: 'many' is not a number of workers"),
        (("--suite", "nosuch"), "--suite: 'nosuch' is not a suite"),
        (("--budget-rps", "0"), "--budget-rps: 0.0 is out of range"),
        (("--base-url", "http://127.0.0.1:99999/v1"), "--base-url: 'http://127.0.0.1:99999/v1' is not an"),
    ],
    ids=["report-dir", "workers", "suite", "budget", "port"],
)
def test_unusable_options_are_one_line_exit_2(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    result = respcheck("run", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"respcheck: {expected}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "reports").exists()  # refused before any report folder is made


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("targets: [\n", "targets.yaml:"),
        (
            "targets:\n  x:\n    base_url: https://x.example/v1\n    budget: {requests: ten}\n",
            "targets.x.budget.requests",
        ),
        ("targets:\n  x:\n    base_url: https://x.example/v1\n    colour: red\n", "targets.x"),
    ],
    ids=["malformed-yaml", "wrong-type", "unknown-key"],
)
def test_bad_targets_file_is_one_line_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "targets.yaml").write_text(content)
    result = respcheck("run", "--target", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_target_and_unset_key_exit_2(tmp_path: Path) -> None:
    unknown = respcheck("run", "--target", "nosuch")
    assert unknown.returncode == 2 and "unknown target 'nosuch'" in unknown.stderr
    env = {k: v for k, v in os.environ.items() if k != "MIXROUTE_API_KEY"}
    unset = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "run", "--target", "mixroute"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )
    assert unset.returncode == 2 and "MIXROUTE_API_KEY" in unset.stderr


def test_budget_exhausted_stops_cleanly_exit_3(tmp_path: Path) -> None:
    result = respcheck(
        "run", "--suite", "create", "--budget-requests", "5", "--report-dir", str(tmp_path / "r")
    )
    assert result.returncode == 3, result.stdout[-3000:]
    summary = _summary(tmp_path / "r")
    assert summary["verdict"] == "budget_exhausted"
    assert summary["spend"]["requests"] == 5
    assert summary["totals"]["budget"] > 0
    assert "stopped early: budget exhausted: 5 of 5 requests used (--budget-requests)" in result.stdout
    # Issue 10: consoles held respcheck's own BudgetExhausted tracebacks; a stop is one line per test.
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "BudgetExhausted" not in out, out[-3000:]
