"""The report writers: HAR (round trip through respcheck's own loader), index.html, history, matrix."""

from __future__ import annotations

import html
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from respcheck.cli import cli
from respcheck.judge import judge
from respcheck.profiles import get_profile
from respcheck.replay.jsonl import exchange_from_record, exchange_to_record
from respcheck.replay.load import LoadError, load_file
from respcheck.reports import build_matrix, write_reports
from respcheck.reports.har import build_har, replayable, sse_text
from respcheck.reports.history import SCHEMA_VERSION, open_history, runs
from respcheck.reports.html import render_index, short_reason
from respcheck.reports.matrix import MatrixError
from tests.recorded import first, records

# -- building a report folder the way a run leaves it -----------------------------------------------

FAILING_TEST = "suites/test_streaming.py::test_sequence_numbers"
WARNING_TEST = "suites/test_create.py::test_metadata_echoed"
PASSING_TEST = "suites/test_create.py::test_string_input"


def live_record(raw: dict[str, Any], test: str, target: str = "relay-a") -> dict[str, Any]:
    """A fixture record normalised as the plugin writes it (exchange_to_record + test + target)."""
    record = exchange_to_record(exchange_from_record(raw))
    record["test"] = test
    record["target"] = target
    return record


def finding(check_id: str, severity: str, exchange_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "severity": severity,
        "message": extra.get("message", f"{check_id} fired"),
        "location": extra.get("location", "/response/events/3/data/sequence_number"),
        "clause": extra.get("clause", "openai: sequence_number increases by one"),
        "exchange_id": exchange_id,
        "profile": "openai",
    }


def _area(nodeid: str) -> str:
    """suites/test_streaming.py::... -> streaming"""
    return nodeid.split("::")[0].rsplit("test_", 1)[-1].removesuffix(".py")


def make_summary(
    target: str = "relay-a",
    started_at: float = 1_800_000_000.0,
    failing: dict[str, list[dict[str, Any]]] | None = None,
    passing: tuple[str, ...] = (PASSING_TEST, WARNING_TEST),
    warnings: dict[str, list[dict[str, Any]]] | None = None,
    unsupported: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A summary.json as respcheck.reports.summary writes it."""
    failing = {} if failing is None else failing
    warnings = warnings or {}
    tests = []
    for nodeid, found in failing.items():
        tests.append({"nodeid": nodeid, "area": _area(nodeid), "outcome": "failed", "duration": 0.25,
                      "message": "E   AssertionError: 3 conformance error(s)\nmore", "findings": found})
    for nodeid in passing:
        tests.append({"nodeid": nodeid, "area": "create", "outcome": "passed", "duration": 0.5,
                      "message": "", "findings": warnings.get(nodeid, [])})
    for nodeid in unsupported:
        tests.append({"nodeid": nodeid, "area": "background", "outcome": "unsupported", "duration": 0.0,
                      "message": f"unsupported (not claimed by target {target})", "findings": []})
    areas: dict[str, dict[str, int]] = {}
    checks: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for t in tests:
        areas.setdefault(t["area"], {}).setdefault(t["outcome"], 0)
        areas[t["area"]][t["outcome"]] += 1
        totals[t["outcome"]] = totals.get(t["outcome"], 0) + 1
        for f in t["findings"]:
            counts = checks.setdefault(f["check_id"], {})
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    verdict = "fail" if failing else "pass"
    return {
        "respcheck": "0.1.0",
        "started_at": started_at,
        "finished_at": started_at + 12.5,
        "target": {
            "name": target,
            "base_url": "https://relay.example/v1",
            "api_key_env": "RELAY_A_KEY",
            "profiles": ["openai"],
            "capabilities": ["stream", "store", "retrieve"],
            "models": {"text": "gpt-4.1-mini", "reasoning": "gpt-5-mini", "vision": "gpt-4o-mini"},
        },
        "verdict": verdict,
        "exit_code": 1 if failing else 0,
        "totals": totals,
        "areas": areas,
        "checks": checks,
        "spend": {"requests": 7, "input_tokens": 120, "output_tokens": 80, "retries": 1},
        "budget_exhausted": None,
        "tests": tests,
    }


def stream_record() -> dict[str, Any]:
    return first(lambda r: r["provider"] == "openai" and r["streaming"] and r["endpoint"] == "create")


def json_record() -> dict[str, Any]:
    return first(lambda r: r["provider"] == "openai" and not r["streaming"] and r["endpoint"] == "create")


def write_run(report_dir: Path, summary: dict[str, Any], exchanges: list[dict[str, Any]]) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "summary.json").write_text(json.dumps(summary))
    with open(report_dir / "exchanges.jsonl", "w", encoding="utf-8") as out:
        for record in exchanges:
            out.write(json.dumps(record) + "\n")
    return report_dir


def failing_run(report_dir: Path, **kw: Any) -> dict[str, Any]:
    """A run with a failing streamed test (two error findings; its exchange was retried after a 429),
    a warning and a passing JSON test."""
    stream = live_record(stream_record(), FAILING_TEST, kw.get("target", "relay-a"))
    stream["notes"] = ["attempt 2 of 3, after 429 (waited 1 s)"]
    plain = live_record(json_record(), WARNING_TEST, kw.get("target", "relay-a"))
    summary = make_summary(
        failing={FAILING_TEST: [
            finding("stream.sequence.increments", "error", stream["id"]),
            finding("stream.order.created_first", "error", stream["id"], location="/response/events/0"),
        ]},
        warnings={WARNING_TEST: [finding("body.content_type", "warning", plain["id"],
                                         location="/response/headers/content-type")]},
        **kw,
    )
    write_run(report_dir, summary, [stream, plain])
    return summary


# -- HAR ----------------------------------------------------------------------------------------------


def _normalised_records() -> list[dict[str, Any]]:
    return [live_record(r, "suites/test_x.py::test_y") for r in records()]


def _keys(findings: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((f.check_id, f.location, f.message) for f in findings)


def test_har_round_trip_judges_every_recorded_exchange_exactly_as_the_original() -> None:
    """All 464 real exchanges, through the HAR writer and respcheck's HAR loader: same verdicts."""
    from respcheck.replay.har import entry_to_exchange

    originals = _normalised_records()
    summary = make_summary()
    har = json.loads(json.dumps(build_har(originals, summary)))
    entries = har["log"]["entries"]
    assert len(entries) == len(originals)
    profile = get_profile("openai")
    for record, entry in zip(originals, entries, strict=True):
        original = exchange_from_record(record)
        replayed = entry_to_exchange(entry, "unused")
        assert replayed.id == record["id"]
        assert (replayed.request.method, replayed.request.path, replayed.request.body) == (
            original.request.method, original.request.path, original.request.body)
        assert replayed.status == original.status
        if original.events is not None:
            assert [e.json for e in replayed.events] == [e.json for e in original.events]
            assert [e.event for e in replayed.events] == [e.event for e in original.events]
        else:
            assert (replayed.body, replayed.body_text) == (original.body, original.body_text)
        assert _keys(judge(replayed, profile)) == _keys(judge(original, profile)), record["id"]


def test_har_is_har_1_2_with_timings_and_sse_text(tmp_path: Path) -> None:
    failing_run(tmp_path / "run")
    write_reports(tmp_path / "run", json.loads((tmp_path / "run" / "summary.json").read_text()))
    har = json.loads((tmp_path / "run" / "exchanges.har").read_text())
    log = har["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "respcheck"
    stream_entry, json_entry = log["entries"]
    for entry in log["entries"]:
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        assert {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize",
                "bodySize"} <= set(entry["request"])
        assert {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                "headersSize", "bodySize"} <= set(entry["response"])
        assert entry["request"]["url"].startswith("https://relay.example/v1/responses")
        timings = entry["timings"]
        assert timings["send"] + timings["wait"] + timings["receive"] == pytest.approx(entry["time"])
    content = stream_entry["response"]["content"]
    assert content["mimeType"].startswith("text/event-stream")
    assert content["text"].startswith("event: response.created\ndata: {")
    assert content["text"].endswith("\n\n")
    assert stream_entry["_respcheck"]["test"] == FAILING_TEST
    assert json.loads(json_entry["response"]["content"]["text"])["object"] == "response"
    assert json_entry["response"]["statusText"] == "OK"


def test_sse_text_writes_event_and_data_lines_and_splits_multiline_data() -> None:
    text = sse_text([{"event": "x", "data": {"a": 1}}, {"event": None, "data": "line1\nline2"},
                     {"event": None, "data": "[DONE]"}])
    assert text == 'event: x\ndata: {"a":1}\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n'


def test_har_timings_split_wait_and_receive_at_the_first_event() -> None:
    record = live_record(stream_record(), "t")
    for i, event in enumerate(record["response"]["events"]):
        event["t"] = 0.2 + i * 0.01
    record["response"]["elapsed"] = 1.0
    entry = build_har([record], make_summary())["log"]["entries"][0]
    assert entry["time"] == pytest.approx(1000.0)
    assert entry["timings"]["wait"] == pytest.approx(200.0)
    assert entry["timings"]["receive"] == pytest.approx(800.0)
    assert entry["_respcheck"]["event_times"][0] == pytest.approx(0.2)


def test_wrong_method_probes_are_left_out_of_the_har_and_said_so() -> None:
    probe = live_record(json_record(), "suites/test_errors.py::test_wrong_method")
    probe["request"]["method"] = "PUT"
    assert not replayable(probe)
    har = build_har([probe, live_record(json_record(), "t")], make_summary())
    assert len(har["log"]["entries"]) == 1
    assert "1 exchange(s) outside the Responses API" in har["log"]["comment"]


def test_respcheck_replay_judges_the_written_har(tmp_path: Path) -> None:
    """The documented way to replay a report: ``respcheck replay DIR/exchanges.har``."""
    run = tmp_path / "run"
    failing_run(run)
    write_reports(run, json.loads((run / "summary.json").read_text()))
    loaded = list(load_file(run / "exchanges.har"))
    assert loaded and not [x for x in loaded if isinstance(x, LoadError)]
    result = CliRunner().invoke(cli, ["replay", "--json", str(run / "exchanges.har")])
    verdict = json.loads(result.output)
    assert verdict["summary"]["exchanges"] == 2 and verdict["summary"]["unreadable"] == 0
    profile = get_profile("openai")
    originals = [json.loads(line) for line in (run / "exchanges.jsonl").read_text().splitlines()]
    for record in originals:
        expected = [f.to_dict() for f in judge(exchange_from_record(record), profile)]
        assert verdict["exchanges"][record["id"]]["findings"] == expected
    failed = any(f["severity"] == "error" for v in verdict["exchanges"].values() for f in v["findings"])
    assert result.exit_code == (1 if failed else 0)


# -- index.html -----------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_index_shows_verdict_target_matrix_and_failures_before_warnings(tmp_path: Path) -> None:
    run = tmp_path / "run"
    failing_run(run, unsupported=("suites/test_background.py::test_cancel",))
    write_reports(run, json.loads((run / "summary.json").read_text()))
    page = (run / "index.html").read_text()
    assert '<h1 id="verdict">FAIL</h1>' in page
    assert "relay-a" in page and "https://relay.example/v1" in page
    assert "7 requests, 120 input tokens, 80 output tokens" in page
    # the area matrix: a failed cell, a passed cell, an unsupported cell
    assert '<td class="n failed">1</td>' in page
    assert '<td class="n passed">2</td>' in page
    assert '<td class="n unsupported">1</td>' in page
    assert '<span class="chip claimed"' in page and '<span class="chip unclaimed"' in page
    # failures first, with their findings; then warnings; then checks; then timings
    order = [page.index(f'id="{s}"') for s in ("failures", "warnings", "checks", "timings")]
    assert order == sorted(order)
    failures = page[page.index('id="failures"'):page.index('id="warnings"')]
    assert "stream.sequence.increments" in failures and "/response/events/3/data/sequence_number" in failures
    assert "openai: sequence_number increases by one" in failures
    assert "AssertionError: 3 conformance error(s)" in failures
    # how its exchange went, as the client noted it
    assert "client notes" in failures and "attempt 2 of 3, after 429 (waited 1 s)" in failures
    warnings = page[page.index('id="warnings"'):page.index('id="checks"')]
    assert "body.content_type" in warnings and WARNING_TEST in warnings
    # the repro names the key variable, never a key
    assert "curl -sS -X POST 'https://relay.example/v1/responses'" in html.unescape(failures)
    assert '"Authorization: Bearer $RELAY_A_KEY"' in html.unescape(failures)
    # self-contained: no external asset of any kind
    for tag, attrs in _tags(page):
        assert not attrs.get("src"), tag
        if tag == "link":
            pytest.fail("a <link> element (external stylesheet?)")
        href = attrs.get("href") or ""
        assert not href.startswith(("http:", "https:", "//")), href


def test_index_escapes_hostile_exchange_data(tmp_path: Path) -> None:
    """Exchange data is hostile input: markup in a test id, a message or a body is shown, not run."""
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    run = tmp_path / "run"
    stream = live_record(stream_record(), FAILING_TEST + evil)
    stream["request"]["body"]["input"] = evil
    summary = make_summary(failing={FAILING_TEST + evil: [
        finding("stream.x" + evil, "error", stream["id"], message=evil, location="/" + evil, clause=evil)
    ]})
    summary["tests"][0]["message"] = "E  " + evil
    summary["target"]["name"] = evil
    write_run(run, summary, [stream])
    page = render_index(summary, [stream], run)
    tags = _tags(page)
    assert [t for t, _ in tags].count("script") == 1  # only the page's own filter script
    assert not [t for t, a in tags if t == "img"]
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_index_of_a_passing_run_says_so(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_run(run, make_summary(), [])
    write_reports(run, make_summary())
    page = (run / "index.html").read_text()
    assert '<h1 id="verdict">PASS</h1>' in page and "No test failed." in page and "No check fired." in page


def test_curl_repro_has_the_key_variable_unless_the_request_was_sent_without_a_key() -> None:
    from respcheck.session.repro import curl_for_record as curl_for

    target = make_summary()["target"]
    record = live_record(json_record(), "t")
    assert '"Authorization: Bearer $RELAY_A_KEY"' in curl_for(record, target)
    record["request"]["headers"] = {"content-type": "application/json"}  # the no-key probe
    assert "Authorization" not in curl_for(record, target)
    record["request"]["headers"] = {"authorization": "Bearer [REDACTED]"}
    assert '"Authorization: Bearer $RELAY_A_KEY"' in curl_for(record, target)


def test_short_reason_is_the_first_pytest_e_line() -> None:
    output = "def f():\n>   assert x\nE   AssertionError: boom\nE   more"
    assert short_reason(output) == "AssertionError: boom"
    assert short_reason("2 conformance error(s) in POST\n  detail") == "2 conformance error(s) in POST"
    assert short_reason("") == ""


def test_write_reports_on_a_real_run_folder_without_exchanges(tmp_path: Path, capsys) -> None:
    """A run that recorded nothing (every test unsupported) still gets its page, HAR and history."""
    run = tmp_path / "run"
    summary = make_summary(passing=(), unsupported=("suites/test_background.py::test_cancel",))
    write_run(run, summary, [])
    (run / "exchanges.jsonl").unlink()
    write_reports(run, summary)
    assert capsys.readouterr().err == ""
    assert json.loads((run / "exchanges.har").read_text())["log"]["entries"] == []
    assert (run / "index.html").is_file() and (tmp_path / "history.sqlite").is_file()


# -- history ----------------------------------------------------------------------------------------


def test_history_records_each_run_and_the_changes_since_the_last_one(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "1", tmp_path / "2"
    before = make_summary(
        started_at=1_000.0,
        failing={"suites/test_a.py::test_old": [finding("check.old", "error", "x")]},
        passing=("suites/test_a.py::test_new", "suites/test_a.py::test_keeps_passing"),
    )
    write_run(first_dir, before, [])
    write_reports(first_dir, before)
    first_summary = json.loads((first_dir / "summary.json").read_text())
    assert first_summary["changes"]["previous"] is None

    after = make_summary(
        started_at=2_000.0,
        failing={"suites/test_a.py::test_new": [finding("check.new", "error", "y")]},
        passing=("suites/test_a.py::test_old", "suites/test_a.py::test_keeps_passing"),
    )
    write_run(second_dir, after, [])
    write_reports(second_dir, after)
    changes = json.loads((second_dir / "summary.json").read_text())["changes"]
    assert changes["previous"]["run_at"] == 1_000.0 and changes["previous"]["verdict"] == "fail"
    assert changes["newly_failing"] == ["suites/test_a.py::test_new"]
    assert changes["fixed"] == ["suites/test_a.py::test_old"]
    assert changes["new_checks"] == ["check.new"]
    assert changes["cleared_checks"] == ["check.old"]
    page = (second_dir / "index.html").read_text()
    changes_html = page[page.index('id="changes"'):page.index('id="matrix"')]
    assert "Newly failing tests (1)" in changes_html and "suites/test_a.py::test_new" in changes_html
    assert "Fixed tests (1)" in changes_html and "check.new" in changes_html

    with open_history(tmp_path / "history.sqlite") as db:
        stored = runs(db, "relay-a")
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [(r.run_at, r.verdict, r.failing) for r in stored] == [
        (1_000.0, "fail", ["suites/test_a.py::test_old"]),
        (2_000.0, "fail", ["suites/test_a.py::test_new"]),
    ]
    assert stored[1].checks == {"check.new": {"error": 1}} and stored[1].totals == {"failed": 1, "passed": 2}


def test_an_interrupted_run_is_not_what_the_next_run_is_compared_with(tmp_path: Path) -> None:
    """A run stopped by Ctrl-C is kept in the history, but it is not "last night": the next run compares
    with the last complete one; and checks silent in the cut run are not "cleared" (maybe not reached)."""
    complete = make_summary(started_at=1.0, failing={"t::a": [finding("check.a", "error", "x")]})
    cut = {**make_summary(started_at=2.0, failing={}, passing=("t::b",)), "verdict": "interrupted",
           "exit_code": 130}
    later = make_summary(started_at=3.0, failing={"t::a": [finding("check.a", "error", "x")]})
    for name, summary in (("1", complete), ("2", cut), ("3", later)):
        write_run(tmp_path / name, summary, [])
        write_reports(tmp_path / name, summary)
    cut_changes = json.loads((tmp_path / "2" / "summary.json").read_text())["changes"]
    assert cut_changes["previous"]["run_at"] == 1.0 and cut_changes["cleared_checks"] == []
    later_changes = json.loads((tmp_path / "3" / "summary.json").read_text())["changes"]
    assert later_changes["previous"]["run_at"] == 1.0  # not the interrupted run at 2.0
    assert later_changes["new_checks"] == [] and later_changes["newly_failing"] == []
    with open_history(tmp_path / "history.sqlite") as db:
        assert [r.verdict for r in runs(db)] == ["fail", "interrupted", "fail"]


def test_history_keeps_targets_apart_and_rewriting_a_run_does_not_duplicate_it(tmp_path: Path) -> None:
    a1 = make_summary(target="a", started_at=1.0, failing={"t::x": []})
    b1 = make_summary(target="b", started_at=2.0)
    a2 = make_summary(target="a", started_at=3.0)
    for name, summary in (("a1", a1), ("b1", b1), ("a2", a2), ("a2", a2)):
        write_run(tmp_path / name, summary, [])
        write_reports(tmp_path / name, summary)
    changes = json.loads((tmp_path / "a2" / "summary.json").read_text())["changes"]
    assert changes["previous"]["run_at"] == 1.0  # a's last run, not b's
    assert changes["fixed"] == []  # t::x did not run again: not run is not fixed
    with open_history(tmp_path / "history.sqlite") as db:
        assert [(r.target, r.run_at) for r in runs(db)] == [("a", 1.0), ("b", 2.0), ("a", 3.0)]


def test_history_refuses_a_newer_schema(tmp_path: Path, capsys) -> None:
    path = tmp_path / "history.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    run = tmp_path / "run"
    write_run(run, make_summary(), [])
    write_reports(run, make_summary(), history=path)
    err = capsys.readouterr().err
    assert "could not write history" in err and "newer than this respcheck" in err
    assert (run / "index.html").is_file()  # one writer failing does not stop the others


# -- nightly matrix ---------------------------------------------------------------------------------


def _nightly(tmp_path: Path) -> tuple[list[Path], Path]:
    history = tmp_path / "history.sqlite"
    yesterday_a = make_summary(target="relay-a", started_at=1_000.0)
    write_run(tmp_path / "a0", yesterday_a, [])
    write_reports(tmp_path / "a0", yesterday_a)
    failing_run(tmp_path / "a1", target="relay-a", started_at=90_000.0)
    write_reports(tmp_path / "a1", json.loads((tmp_path / "a1" / "summary.json").read_text()))
    b = make_summary(target="relay-b", started_at=90_001.0, unsupported=("suites/test_background.py::t",))
    write_run(tmp_path / "b1", b, [])
    write_reports(tmp_path / "b1", b)
    return [tmp_path / "a1", tmp_path / "b1"], history


def test_matrix_has_targets_as_columns_areas_and_checks_as_rows_and_changes(tmp_path: Path) -> None:
    dirs, history = _nightly(tmp_path)
    out = build_matrix(dirs, tmp_path / "site" / "matrix.html", history)
    page = out.read_text()
    assert '<h1 id="verdict">1 of 2 targets pass</h1>' in page
    heads = [a["href"] for t, a in _tags(page) if t == "a"]
    assert heads == ["../a1/index.html", "../b1/index.html"]
    streaming_row = page[page.index('<th scope="row">streaming</th>'):].split("</tr>")[0]
    assert '<td class="failed" data-failed="1">0/1 passed · 1 failed</td>' in streaming_row
    assert '<td class="empty">—</td>' in streaming_row
    background_row = page[page.index('<th scope="row">background</th>'):].split("</tr>")[0]
    assert "0/1 passed · 1 unsupported" in background_row
    check_row = page[page.index("stream.sequence.increments</th>"):].split("</tr>")[0]
    assert '<td class="failed">1 error</td>' in check_row and '<td class="empty">·</td>' in check_row
    assert "1 newly failing" in page and FAILING_TEST in page and "3 new check ids firing" in page
    assert "no earlier run" in page  # relay-b has no run before this one


def test_matrix_without_history_uses_the_changes_each_run_stored(tmp_path: Path) -> None:
    dirs, _ = _nightly(tmp_path)
    page = build_matrix(dirs, tmp_path / "m.html", None).read_text()
    assert "1 newly failing" in page


def test_matrix_names_a_folder_that_is_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match=r"no summary\.json"):
        build_matrix([tmp_path], tmp_path / "m.html", None)


def test_report_matrix_command(tmp_path: Path) -> None:
    dirs, _ = _nightly(tmp_path)
    out = tmp_path / "nightly.html"
    result = CliRunner().invoke(cli, ["report", "matrix", *map(str, dirs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output and "1 of 2 targets pass" in out.read_text()
    bad = CliRunner().invoke(cli, ["report", "matrix", str(tmp_path / "nope"), "--out", str(out)])
    assert bad.exit_code == 2 and "no summary.json" in bad.output


def test_summary_names_the_url_the_run_sent_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """A base_url_env target's address is the variable's value; userinfo and secret parameters never show."""
    from respcheck.config import parse_targets
    from respcheck.session.target import identity

    monkeypatch.setenv("RELAY_URL", "https://user:pw@relay.example/v1?key=abc")
    relay = parse_targets("targets:\n  x:\n    base_url_env: RELAY_URL\n    api_key_env: null\n").get("x")
    assert identity(relay)["base_url"] == "https://relay.example/v1?key=[REDACTED]"


def test_write_reports_leaves_the_callers_summary_as_it_was(tmp_path: Path) -> None:
    summary = make_summary()
    before = json.dumps(summary, sort_keys=True)
    (tmp_path / "run").mkdir()
    write_reports(tmp_path / "run", summary)
    assert json.dumps(summary, sort_keys=True) == before
    assert "changes" in json.loads((tmp_path / "run" / "summary.json").read_text())
