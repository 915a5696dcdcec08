"""``respcheck serve``: prints the URL it listens on; Ctrl-C shuts it down cleanly (exit 0, no traceback)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

SERVE = [sys.executable, "-m", "respcheck.cli", "serve", "--port", "0"]


def start(*extra: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*SERVE, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("respcheck reference server listening on http://127.0.0.1:"), line
    return process, line.split()[-1]


def interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery is POSIX")
def test_ctrl_c_is_a_clean_shutdown(tmp_path: Path):
    process, url = start("--db", str(tmp_path / "serve.sqlite3"), "--api-key", "sk-cli")
    answer = httpx.post(
        url + "/responses",
        json={"model": "gpt-4o-mini", "input": "hi"},
        headers={"Authorization": "Bearer sk-cli"},
    )
    assert answer.status_code == 200
    denied = httpx.post(
        url + "/responses",
        json={"model": "gpt-4o-mini", "input": "hi"},
        headers={"Authorization": "Bearer other"},
    )
    assert denied.status_code == 401
    out, err = interrupt(process)
    assert process.returncode == 0
    assert "Traceback" not in out + err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery is POSIX")
def test_ctrl_c_with_runs_and_streams_in_flight():
    process, url = start("--latency", "0.5")
    headers = {"Authorization": "Bearer k"}
    queued = httpx.post(
        url + "/responses",
        json={"model": "gpt-4o-mini", "input": "long " * 50, "background": True},
        headers=headers,
    ).json()
    assert queued["status"] == "queued"
    opened = threading.Event()

    def hold_a_stream_open() -> None:
        try:
            with httpx.stream(
                "GET",
                f"{url}/responses/{queued['id']}",
                params={"stream": "true"},
                headers=headers,
                timeout=30,
            ) as stream:
                opened.set()
                for _ in stream.iter_raw():
                    pass
        except httpx.HTTPError:
            pass  # the server went away mid-stream: expected

    reader = threading.Thread(target=hold_a_stream_open, daemon=True)
    reader.start()
    assert opened.wait(10)
    out, err = interrupt(process)
    reader.join(10)
    assert process.returncode == 0
    assert "Traceback" not in out + err


def test_an_unopenable_database_is_one_line_and_exit_2(tmp_path: Path):
    db = tmp_path / "missing" / "serve.sqlite3"
    result = subprocess.run([*SERVE, "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (
        f"respcheck serve: --db {db}: the folder {db.parent} does not exist — create it or pass a new file "
        "name (it is created) or the --db of an earlier respcheck serve\n"
    )
    assert result.stdout == ""


def test_latency_ttfb_delays_every_foreground_create_like_a_slow_model():
    process, url = start("--latency-ttfb", "0.4")
    try:
        headers = {"Authorization": "Bearer k"}
        body = {"model": "gpt-4o-mini", "input": "hi"}
        for stream in (False, True):
            started = time.monotonic()
            with httpx.stream("POST", url + "/responses", json={**body, "stream": stream}, headers=headers,
                              timeout=10) as answer:
                waited = time.monotonic() - started  # until the headers arrived
                assert answer.status_code == 200
                answer.read()
            assert waited >= 0.4
        listed = httpx.get(url + "/models", headers=headers)
        assert listed.elapsed.total_seconds() < 0.4  # only a create waits for the model
    finally:
        interrupt(process)
