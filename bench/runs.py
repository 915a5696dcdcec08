"""What the wire benchmarks share: a ``respcheck serve`` child, a targets file naming it, and a
``respcheck run`` against it, timed, with its summary and recorded exchanges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference import start_child

REPO = Path(__file__).resolve().parents[1]
KEY_ENV = "RESPCHECK_BENCH_KEY"
KEY = "sk-bench-local"
TARGET = "served"


@contextmanager
def served(*options: str) -> Iterator[str]:
    """``respcheck serve --port 0`` with ``options`` in a child process; yields its base URL."""
    child, url = start_child(["-m", "respcheck.cli", "serve", "--port", "0", "--api-key", KEY, *options])
    try:
        yield url
    finally:
        child.terminate()
        child.wait(timeout=30)


def write_targets(folder: Path, url: str, timeouts: dict[str, float] | None = None) -> Path:
    """A targets file with one target, ``served``: the reference server's models, every capability."""
    import yaml

    target: dict[str, Any] = {
        "base_url": url,
        "api_key_env": KEY_ENV,
        "models": {"text": "gpt-4.1-mini", "reasoning": "gpt-5-mini", "vision": "gpt-4o-mini"},
        "profile": "openai",
        "capabilities": "all",
    }
    if timeouts:
        target["timeouts"] = timeouts
    path = folder / "targets.yaml"
    path.write_text(yaml.safe_dump({"targets": {TARGET: target}}))
    return path


@dataclass
class RunFigures:
    wall_s: float  # the whole command: interpreter, collection, tests, reports
    tests_s: float  # the tests themselves (their durations in summary.json)
    requests: int
    exit_code: int
    summary: dict[str, Any]
    report_dir: Path

    def exchanges(self) -> list[dict[str, Any]]:
        """The recorded exchanges (respcheck's JSONL records)."""
        lines = (self.report_dir / "exchanges.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def respcheck_run(targets: Path, report_dir: Path, *options: str) -> RunFigures:
    """``respcheck run --target served`` with ``options``, timed from outside."""
    command = [sys.executable, "-m", "respcheck.cli", "run", "--targets-file", str(targets),
               "--target", TARGET, "--report-dir", str(report_dir), *options]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=1800,
                          env={**os.environ, KEY_ENV: KEY})
    wall = time.perf_counter() - started
    summary_path = report_dir / "summary.json"
    if not summary_path.is_file():
        raise RuntimeError(f"respcheck run wrote no summary (exit {done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(summary_path.read_text())
    return RunFigures(
        wall_s=wall,
        tests_s=sum(t.get("duration") or 0.0 for t in summary["tests"]),
        requests=summary["spend"]["requests"],
        exit_code=done.returncode,
        summary=summary,
        report_dir=report_dir,
    )


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
