"""``respcheck run --tag T``: every tagged target run (in parallel when asked), one report each and
one matrix page; the worst target's exit code; bad uses are one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from respcheck.run_tagged import worst
from respcheck.session.tally import EXIT_BUDGET, EXIT_COULD_NOT_RUN, EXIT_FAILURES, EXIT_OK
from tests.test_server_cli import interrupt, start

RESPCHECK = [sys.executable, "-m", "respcheck"]


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[str, str]]:
    """A faithful reference server and one with a fault, as two relays."""
    good, good_url = start()
    bad, bad_url = start("--fault", "usage_chat_names")
    yield good_url, bad_url
    interrupt(good)
    interrupt(bad)


def targets_file(tmp_path: Path, good_url: str, bad_url: str) -> Path:
    entry = """
  {name}:
    base_url: {url}
    api_key_env: RESPCHECK_TAGGED_KEY
    tags: [nightly{extra}]
    models: {{text: gpt-4.1-mini, reasoning: gpt-5-mini, vision: gpt-4o-mini}}
    capabilities: [stream, store, retrieve, delete]
"""
    path = tmp_path / "targets.yaml"
    path.write_text("targets:" + entry.format(name="good", url=good_url, extra=", light")
                    + entry.format(name="faulty", url=bad_url, extra=""))
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESPCHECK_TAGGED_KEY": "sk-tagged"}  # the reference server wants a Bearer key
    return subprocess.run([*RESPCHECK, "run", *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env=env)


def test_every_tagged_target_gets_its_report_and_one_matrix(tmp_path: Path, two_servers: tuple[str, str]):
    file = targets_file(tmp_path, *two_servers)
    out = tmp_path / "matrix"
    done = run("--tag", "nightly", "--targets-file", str(file), "--suite", "create",
               "--parallel-targets", "2", "--report-dir", str(out), cwd=tmp_path)
    assert done.returncode == EXIT_FAILURES, done.stdout + done.stderr  # the faulty one fails
    summaries = {name: json.loads((out / name / "summary.json").read_text()) for name in ("good", "faulty")}
    assert summaries["good"]["verdict"] == "pass"
    assert summaries["faulty"]["verdict"] == "fail"
    assert "usage" in json.dumps(summaries["faulty"]["checks"])
    assert (out / "matrix.html").is_file() and (out / "good.log").is_file()
    lines = done.stdout.splitlines()
    assert lines[0].startswith("2 targets tagged nightly: good, faulty (2 at a time)")
    assert any(line.startswith("good: pass (") for line in lines)
    assert any(line.startswith("faulty: fail (") for line in lines)
    assert "Traceback" not in done.stdout + done.stderr


def test_update_baseline_over_tagged_targets_keeps_every_targets_entries(tmp_path: Path,
                                                                      two_servers: tuple[str, str]):
    file, baseline = targets_file(tmp_path, *two_servers), tmp_path / "baseline.yaml"
    common = ("--tag", "nightly", "--targets-file", str(file), "--suite", "create", "--parallel-targets", "2",
              "--baseline", str(baseline))
    written = run(*common, "--update-baseline", "--report-dir", str(tmp_path / "first"), cwd=tmp_path)
    assert written.returncode == EXIT_OK, written.stdout + written.stderr
    assert "one at a time" in written.stdout
    assert "target: faulty" in baseline.read_text()
    again = run(*common, "--report-dir", str(tmp_path / "second"), cwd=tmp_path)
    assert again.returncode == EXIT_OK, again.stdout + again.stderr  # the faulty target's failures are known


def test_all_tags_must_match(tmp_path: Path, two_servers: tuple[str, str]):
    file = targets_file(tmp_path, *two_servers)
    done = run("--tag", "nightly", "--tag", "light", "--targets-file", str(file), "--suite", "create",
               "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("1 targets tagged nightly, light: good")
    assert not (tmp_path / "r" / "faulty").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "nosuch"], "--tag nosuch: no target in"),
        (["--tag", "nightly", "--target", "good"], "--tag and --target: choose one"),
        (["--tag", "nightly", "--parallel-targets", "0"], "--parallel-targets: 0 — pass 1 or more"),
    ],
)
def test_bad_uses_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str):
    file = targets_file(tmp_path, "http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1")
    done = run(*args, "--targets-file", str(file), cwd=tmp_path)
    assert done.returncode == EXIT_COULD_NOT_RUN
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_worst_exit_code_wins() -> None:
    assert worst([EXIT_OK, EXIT_BUDGET, EXIT_FAILURES]) == EXIT_FAILURES
    assert worst([EXIT_FAILURES, EXIT_COULD_NOT_RUN]) == EXIT_COULD_NOT_RUN
    assert worst([EXIT_OK, EXIT_BUDGET]) == EXIT_BUDGET
    assert worst([EXIT_OK, EXIT_OK]) == EXIT_OK
