"""Every fault, run with a known dummy key: the key appears in nothing respcheck wrote.

Every flow is scanned byte for byte, in every file written and both output streams, for every
form the key takes: raw, URL-encoded (either hex case, ``+`` for space), JSON-escaped (also
``\\/``), and base64, standard and URL-safe, at each of the three byte alignments. Flows:

- ``respcheck selftest --report-dir``: every catalogue entry (one of them echoes the key in
  every error message) -> summary.json, findings.ndjson, exchanges.jsonl, exchanges.har,
  index.html, the history database, the JSON results, and the command's stdout/stderr;
- ``respcheck run`` against a server that gives each request the next fault in turn (so one
  run meets them all) -> the same plus junit.xml and allure-results/;
- ``respcheck run`` against a relay that splits the key across two output_text deltas and
  reflects the Authorization header back in base64 (both alphabets, all alignments);
- the command-line and targets.yaml mistakes that carry a key: userinfo in a base URL, a key
  where a variable name belongs, ``?api-key=`` in a base URL: one line, key not repeated.
"""

from __future__ import annotations

import base64
import json
import os
import re
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
    forms = {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key)}
    forms |= {re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in list(forms)}
    escaped = json.dumps(key)[1:-1]
    forms |= {escaped, escaped.replace("/", "\\/")}
    for offset in range(3):  # the key behind 0, 1 or 2 other bytes: the base64 groups only it fills
        encoded = base64.b64encode(b"?" * offset + key.encode()).decode()
        core = encoded[-(-offset // 3) * 4 : (offset + len(key)) // 3 * 4]
        forms |= {core, core.replace("+", "-").replace("/", "_")}
    return [f.encode() for f in forms]


def test_the_scan_finds_every_form() -> None:
    """The scan itself: each form, embedded in other text, is found (else a leak would pass unseen)."""
    samples = [
        f"x{KEY}y", f"?k={urllib.parse.quote(KEY, safe='')}", json.dumps({"k": KEY}).replace("/", "\\/"),
        *(base64.b64encode(f"{pad}Bearer {KEY}".encode()).decode() for pad in ("", "a", "ab")),
        *(base64.urlsafe_b64encode(f"{pad}{KEY}!".encode()).decode() for pad in ("", "a", "ab")),
    ]
    for sample in samples:
        assert any(form in sample.encode() for form in wire_forms(KEY)), sample


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


def _split_key_across_deltas(stream) -> None:
    """Two output_text deltas that carry the key between them; the .done text is left honest."""
    deltas = stream.of_type("response.output_text.delta")
    if len(deltas) >= 2:
        deltas[0].data["delta"] = f"{deltas[0].data['delta']} {KEY[:20]}"
        deltas[1].data["delta"] = f"{KEY[20:]} {deltas[1].data['delta']}"


def _reflect_key_in_base64(reply) -> None:
    """A relay that echoes the Authorization header it got, base64-encoded every way, and URL-encoded."""
    header = reply.request.headers.get("authorization", "")
    echoes = {
        f"echo_{name}_{pad}": encode(f"{pad}{header}".encode()).decode()
        for name, encode in (("std", base64.b64encode), ("url", base64.urlsafe_b64encode))
        for pad in ("", "x", "xy")
    }
    echoes["echo_quoted"] = urllib.parse.quote(header, safe="")
    if isinstance(reply.body, dict):
        reply.body.update(echoes)
    reply.headers["x-echo"] = echoes["echo_std_x"]


def test_a_run_against_a_relay_that_splits_and_encodes_the_key(tmp_path: Path):
    from respcheck.faults.edits import on_json, on_stream
    from respcheck.faults.model import Fault

    faults = [
        Fault("split_key", "splits the key across two deltas", "contract", "stream.assembly.output_text", (),
              reply=on_stream(_split_key_across_deltas)),
        Fault("base64_key", "reflects the key in base64", "benign", None, (),
              reply=on_json(_reflect_key_in_base64)),
    ]
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, faults)) as server:
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            "targets:\n"
            "  leaky:\n"
            f"    base_url: {server.base_url}\n"
            f"    api_key_env: {KEY_ENV}\n"
            "    capabilities: all\n"
        )
        done = subprocess.run(
            [sys.executable, "-m", "respcheck.cli", "run", "--targets-file", str(targets),
             "--target", "leaky", "--suite", "create", "--suite", "streaming",
             "--report-dir", str(tmp_path / "run"), "--hypothesis-profile", "smoke"],
            capture_output=True, text=True, timeout=600, env=_env(**{KEY_ENV: KEY}), cwd=tmp_path,
        )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # the split key fails assembly
    assert "stream.assembly.output_text" in done.stdout
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"summary.json", "junit.xml", "allure-results", "exchanges.har", "index.html"} <= written
    assert leaks(tmp_path, {"stdout": done.stdout, "stderr": done.stderr}) == []


@pytest.mark.parametrize("args", [
    ["--base-url", f"http://user:{KEY}@127.0.0.1:9/v1"],
    ["--base-url", f"http://{urllib.parse.quote(KEY, safe='')}@127.0.0.1:9/v1"],
    ["--base-url", f"http://127.0.0.1:9/v1?api-key={KEY}"],
    ["--base-url", KEY],
    ["--base-url", "http://127.0.0.1:9/v1", "--api-key-env", KEY],
], ids=["userinfo", "user-only", "query", "key-as-url", "key-as-variable"])
def test_a_key_typed_into_an_option_is_refused_without_echo(tmp_path: Path, args: list[str]):
    done = subprocess.run([sys.executable, "-m", "respcheck.cli", "run", *args], capture_output=True,
                          text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert leaks(tmp_path, {"stdout": done.stdout, "stderr": done.stderr}) == []


@pytest.mark.parametrize("entry", [
    f"    base_url: http://user:{KEY}@127.0.0.1:9/v1\n    api_key_env: X\n",
    f"    base_url: http://127.0.0.1:9/v1?api-key={urllib.parse.quote(KEY, safe='')}\n    api_key_env: X\n",
    f"    base_url: http://127.0.0.1:9/v1\n    api_key_env: {KEY}\n",
    "    base_url_env: LEAKY_URL\n    api_key_env: X\n",
], ids=["userinfo", "query", "key-as-variable", "userinfo-from-env"])
@pytest.mark.parametrize("command", ["targets", "run"])
def test_a_key_typed_into_targets_yaml_is_refused_without_echo(tmp_path: Path, entry: str, command: str):
    (tmp_path / "targets.yaml").write_text("targets:\n  leaky:\n" + entry)  # the input holds the key
    work = tmp_path / "work"  # everything respcheck writes, scanned
    work.mkdir()
    args = ["--targets-file", "../targets.yaml"] + (["--target", "leaky"] if command == "run" else [])
    env = _env(X="k" * 20, LEAKY_URL=f"http://user:{KEY}@127.0.0.1:9/v1")
    done = subprocess.run([sys.executable, "-m", "respcheck.cli", command, *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=work)
    assert "Traceback" not in done.stderr, done.stderr
    assert leaks(work, {"stdout": done.stdout, "stderr": done.stderr}) == [], done.stdout + done.stderr
    if command == "run":
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
