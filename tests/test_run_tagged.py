"""``respcheck run --tag T``: every tagged target run (in parallel when asked), one report each and
one matrix page; the worst target's exit code; bad uses are one line, exit 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    """A reference server taking 2 s to answer a create: a stop lands while a target run is under way."""
    server, url = start("--latency-ttfb", "2")
    yield url
    interrupt(server)


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_a_stopped_tagged_run_starts_no_more_targets_and_reports_what_ran(tmp_path: Path, slow_server: str,
                                                                          stop: str):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or SIGTERM to the tagged run
    alone (a CI job cancelled): the target run under way stops and writes its report, the others do not
    begin, the matrix shows what ran, exit 130. Before, the remaining targets all ran to their end after a
    Ctrl-C (and the page was not written); a SIGTERM ended the tagged run alone, its target run going on."""
    entry = ("  {name}:\n    base_url: " + slow_server + "\n    api_key_env: RESPCHECK_TAGGED_KEY\n"
             "    tags: [slow]\n"
             "    models: {{text: gpt-4.1-mini, reasoning: gpt-5-mini, vision: gpt-4o-mini}}\n")
    file = tmp_path / "targets.yaml"
    file.write_text("targets:\n" + "".join(entry.format(name=name) for name in ("one", "two", "three")))
    out = tmp_path / "matrix"
    tagged = subprocess.Popen(
        [*RESPCHECK, "run", "--tag", "slow", "--targets-file", str(file), "--suite", "create",
         "--parallel-targets", "1", "--report-dir", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, start_new_session=True,
        env={**os.environ, "RESPCHECK_TAGGED_KEY": "sk-tagged"})
    try:
        first = out / "one" / "exchanges-main.jsonl"
        for _ in range(600):  # until the first target's run has recorded an exchange (at most 60 s)
            if first.is_file() and first.read_text().strip():
                break
            time.sleep(0.1)
        if stop == "ctrl-c":
            os.killpg(tagged.pid, signal.SIGINT)
        else:
            tagged.send_signal(signal.SIGTERM)
        stdout, stderr = tagged.communicate(timeout=120)
    finally:
        if tagged.poll() is None:
            os.killpg(tagged.pid, signal.SIGKILL)
            tagged.wait(10)
    assert tagged.returncode == 130, stdout + stderr
    assert json.loads((out / "one" / "summary.json").read_text())["verdict"] == "interrupted"
    assert "one: interrupted (" in stdout
    assert "two: not run (the tagged run was stopped before it began)" in stdout
    assert "three: not run" in stdout and not (out / "two").exists() and not (out / "three").exists()
    assert (out / "matrix.html").is_file()
    assert "Traceback" not in stdout + stderr
