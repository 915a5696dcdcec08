"""Install, start, run and stop the real targets of targets/ from Python (tests and the matrix)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS_DIR = REPO / "targets"
TARGETS_FILE = REPO / "targets.yaml"
# the environment variable each target's base_url_env names (targets.yaml)
URL_ENV = {"agentserver": "RESPCHECK_AGENTSERVER_URL", "aimock": "RESPCHECK_AIMOCK_URL"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def script(name: str, action: str, env: dict[str, str], timeout: float) -> None:
    """Run targets/<name>/<action>.sh; its output is shown when it fails."""
    done = subprocess.run(
        ["bash", str(TARGETS_DIR / name / f"{action}.sh")],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if done.returncode:
        output = done.stdout + done.stderr
        raise RuntimeError(f"targets/{name}/{action}.sh failed ({done.returncode}):\n{output}")


@contextmanager
def running(name: str, scratch: Path) -> Iterator[dict[str, str]]:
    """The target installed (a no-op when it already is) and started on a free port; yields the
    environment that points respcheck at it; stops it (only what its start script started)."""
    env = {**os.environ, "PORT": str(free_port()), "RESPCHECK_TARGETS_SCRATCH": str(scratch)}
    script(name, "install", env, timeout=600)
    script(name, "start", env, timeout=120)
    try:
        yield {**env, URL_ENV[name]: f"http://127.0.0.1:{env['PORT']}/v1"}
    finally:
        script(name, "stop", env, timeout=30)


def respcheck_run(name: str, env: dict[str, str], report_dir: Path, *args: str) -> int:
    """``respcheck run --target NAME`` in a subprocess (its own pytest session); the exit code."""
    respcheck = Path(sys.executable).with_name("respcheck")  # the one installed beside this Python
    done = subprocess.run(
        [str(respcheck), "run", "--target", name, "--targets-file", str(TARGETS_FILE),
         "--report-dir", str(report_dir), *args],
        env=env, cwd=report_dir.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    return done.returncode


def findings(report_dir: Path) -> list[dict]:
    lines = (report_dir / "findings.ndjson").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def finding_ids(report_dir: Path) -> set[str]:
    return {f["check_id"] for f in findings(report_dir)}
