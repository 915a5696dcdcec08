"""No report file carries a key: HTML, HAR, summary.json, the history database, the matrix page.

A hostile relay echoes the key everywhere it can (error bodies, SSE events, headers); a careless
config puts it in a URL. Every byte written by the report writers is scanned for the key and its
wire forms (URL-encoded, JSON-escaped).
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from respcheck.redact import register_secret
from respcheck.reports import build_matrix, write_reports
from tests.test_reports import finding, live_record, make_summary, stream_record, write_run

# A dummy key with characters that change under URL and JSON encoding.
KEY = "sk-dummy/Reports+key_0123456789abcdefXYZ"
# Never registered: it must be masked by where it sits (auth headers, api_key=, URL userinfo).
UNREGISTERED_KEY = "sk-unregistered-9876543210fedcbaQWE"


def wire_forms(key: str) -> list[bytes]:
    forms = {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key), json.dumps(key)[1:-1]}
    return [f.encode() for f in forms]


def scan(paths: list[Path], key: str) -> list[str]:
    """Every (file, form) where the key shows up."""
    leaks = []
    for path in paths:
        data = path.read_bytes()
        leaks += [f"{path.name}: {form!r}" for form in wire_forms(key) if form in data]
    return leaks


def written_files(root: Path, inputs: set[Path]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p not in inputs)


def hostile_records(key: str, test: str) -> list[dict[str, Any]]:
    """Exchanges with the key in headers, query, path, request and response bodies and events."""
    stream = live_record(stream_record(), test)
    stream["request"]["headers"] = {"authorization": f"Bearer {key}", "x-api-key": key, "x-note": key}
    stream["request"]["query"] = {"api_key": key, "echo": key}
    stream["request"]["body"]["input"] = f"my key is {key}"
    stream["request"]["body"]["metadata"] = {key: key}
    events = stream["response"]["events"]
    events[0]["data"]["response"]["instructions"] = f"key={key}"
    events.insert(1, {"event": f"vendor.{key}", "data": f"upstream error: bad key {key}\nagain {key}"})
    stream["response"]["headers"] = {"set-cookie": f"session={key}", "x-echo": key}
    stream["notes"] = [f"note with {key}"]

    error = live_record(stream_record(), test)
    error["id"] = "ex-error"
    error["request"] = {"method": "GET", "path": f"/v1/responses/{key}", "query": {"key": key}, "body": None}
    error["response"] = {"status": 401, "content_type": "application/json",
                         "body": {"error": {"message": f"Incorrect API key provided: {key}", "param": key}}}
    text = live_record(stream_record(), test)
    text["id"] = "ex-text"
    text["response"] = {"status": 502, "content_type": "text/plain", "body": f"bad gateway ({key})",
                        "broken": f"connection reset after {key}"}
    return [stream, error, text]


def hostile_summary(key: str, test: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    summary = make_summary(failing={test: [
        finding("errors.unknown_id", "error", records[1]["id"], message=f"echoed {key}",
                location=f"/request/path/{key}", clause=f"clause {key}"),
        finding("stream.framing", "error", records[0]["id"]),
    ]})
    summary["tests"][0]["message"] = (
        f"E   AssertionError: body was {{'key': '{key}'}}\nrepro: curl -H 'Authorization: Bearer {key}'"
    )
    summary["target"]["base_url"] = f"https://user:{key}@relay.example/v1?api_key={key}"
    summary["budget_exhausted"] = f"stopped with key {key}"
    return summary


def _write_and_scan(tmp_path: Path, key: str) -> tuple[list[str], list[Path]]:
    test = f"suites/test_errors.py::test_echo[{key}]"
    records = hostile_records(key, test)
    run = tmp_path / "run"
    summary = hostile_summary(key, test, records)
    write_run(run, summary, records)
    inputs = {run / "exchanges.jsonl"}  # what the run wrote before the reports (not ours to scrub)
    write_reports(run, summary)
    build_matrix([run], tmp_path / "matrix.html", tmp_path / "history.sqlite")
    files = written_files(tmp_path, inputs)
    return scan(files, key), files


def test_a_registered_key_appears_in_no_report_file(tmp_path: Path, capsys) -> None:
    register_secret(KEY)  # as the client does with the key it read from the environment
    leaks, files = _write_and_scan(tmp_path, KEY)
    assert capsys.readouterr().err == ""
    names = {p.name for p in files}
    assert {"index.html", "exchanges.har", "summary.json", "history.sqlite", "matrix.html"} <= names
    assert leaks == []
    assert scan([tmp_path / "run" / "exchanges.jsonl"], KEY)  # the input really carried the key
    # and the masked record is still there (the scrub replaced, it did not drop)
    assert "[REDACTED]" in (tmp_path / "run" / "index.html").read_text()
    har = json.loads((tmp_path / "run" / "exchanges.har").read_text())
    assert len(har["log"]["entries"]) == 3


def test_a_key_never_registered_is_masked_where_it_sits(tmp_path: Path) -> None:
    """Auth headers, secret query parameters and URL userinfo are masked by name, whatever the value."""
    run = tmp_path / "run"
    record = live_record(stream_record(), "suites/test_create.py::test_plain")
    record["request"]["headers"] = {"Authorization": f"Bearer {UNREGISTERED_KEY}",
                                    "api-key": UNREGISTERED_KEY}
    record["request"]["query"] = {"api_key": UNREGISTERED_KEY, "token": UNREGISTERED_KEY}
    record["response"]["headers"] = {"set-cookie": f"s={UNREGISTERED_KEY}"}
    summary = make_summary(failing={"suites/test_create.py::test_plain": [
        finding("stream.framing", "error", record["id"])]})
    summary["target"]["base_url"] = f"https://user:{UNREGISTERED_KEY}@relay.example/v1"
    write_run(run, summary, [record])
    write_reports(run, summary)
    files = written_files(tmp_path, {run / "exchanges.jsonl"})  # summary.json is rewritten: scanned
    assert scan(files, UNREGISTERED_KEY) == []
    page = (run / "index.html").read_text()
    assert "api_key=%5BREDACTED%5D" in page or "api_key=[REDACTED]" in page
    assert "$RELAY_A_KEY" in page
