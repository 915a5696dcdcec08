"""Every fault, run with a known dummy key: the key appears in nothing respcheck wrote.

Two real flows, each scanned byte for byte (the key and its URL- and JSON-escaped forms):

- ``respcheck selftest --report-dir``: every catalogue entry (one of them echoes the key in
  every error message) -> summary.json, findings.ndjson, exchanges.jsonl, exchanges.har,
  index.html, the history database, the JSON results, and the command's stdout/stderr;
- ``respcheck run`` against a server that gives each request the next fault in turn (so one
  run meets them all) -> the same plus junit.xml and allure-results/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.layer import FaultLayer
from respcheck.server.run import start_server

# A dummy key with characters that change under URL and JSON encoding.
KEY = "sk-dummy/Selftest+key_0123456789abcdefXYZ"
KEY_ENV = "RESPCHECK_SECRETS_TEST_KEY"


def wire_forms(key: str) -> list[bytes]:
    forms = {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key), json.dumps(key)[1:-1]}
    return [f.encode() for f in forms]


def leaks(root: Path, outputs: dict[str, str]) -> list[str]:
    found = []
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}: {form!r}" for form in wire_forms(KEY) if form in data]
    for name, text in outputs.items():
        found += [f"{name}: {form!r}" for form in wire_forms(KEY) if form in text.encode()]
    return found


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}


def test_selftest_reports_never_carry_the_key(tmp_path: Path):
    report = tmp_path / "selftest"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "respcheck.cli",
            "selftest",
            "--report-dir",
            str(report),
            "--json",
            str(tmp_path / "selftest.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(RESPCHECK_SELFTEST_KEY=KEY),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    written = {p.name for p in report.iterdir()}
    assert {"summary.json", "findings.ndjson", "exchanges.jsonl", "exchanges.har", "index.html"} <= written
    results = json.loads((tmp_path / "selftest.json").read_text())["results"]
    assert {r["fault"] for r in results} >= set(CATALOGUE)  # every fault ran
    assert leaks(tmp_path, {"stdout": done.stdout, "stderr": done.stderr}) == []


@pytest.mark.slow
def test_a_run_against_every_fault_never_writes_the_key(tmp_path: Path):
    targets = tmp_path / "targets.yaml"
    faults = list(CATALOGUE.values())
    wrap = lambda app: FaultLayer(app, faults, rotate=True)  # noqa: E731
    with start_server(api_key=KEY, app_wrapper=wrap) as server:
        targets.write_text(
            "targets:\n"
            "  faulty:\n"
            f"    base_url: {server.base_url}\n"
            f"    api_key_env: {KEY_ENV}\n"
            "    models: {text: gpt-4.1-mini, reasoning: gpt-5-mini, vision: gpt-4o-mini}\n"
            "    capabilities: all\n"
            "    timeouts: {connect: 2, first_byte: 1, between_events: 1, total: 3}\n"
            "    retries: {max: 2, max_wait: 1}\n"
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "respcheck.cli",
                "run",
                "--targets-file",
                str(targets),
                "--target",
                "faulty",
                "--report-dir",
                str(tmp_path / "run"),
                "--hypothesis-profile",
                "smoke",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            env=_env(**{KEY_ENV: KEY}),
            cwd=tmp_path,
        )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # faults fail tests
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"summary.json", "junit.xml", "allure-results", "exchanges.har", "index.html"} <= written
    spent = json.loads((tmp_path / "run" / "summary.json").read_text())["spend"]["requests"]
    assert spent >= len(faults), "the rotation did not reach every fault"
    assert leaks(tmp_path, {"stdout": done.stdout, "stderr": done.stderr}) == []
