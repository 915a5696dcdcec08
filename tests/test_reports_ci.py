"""What CI systems read (issue 10): root causes grouped by check, JUnit that names the target and leads
with check ids and the repro, Allure results with attachments, labels, environment and categories
(rendered by the real Allure 3 CLI and read in a real browser), the HTML page's root causes and real
clauses, and the progress line."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from respcheck.reports import build_matrix, write_reports
from respcheck.reports.junit import without_blobs
from respcheck.reports.progress import LINES, Progress
from respcheck.session.events import TestFinished
from respcheck.session.tally import ASSERTION, root_causes
from tests import recorded
from tests.test_reports import (
    FAILING_TEST,
    failing_run,
    finding,
    live_record,
    make_summary,
    stream_record,
    write_run,
)

ALLURE_VERSION = "3.18.0"  # the Allure 3 CLI from npm the rendering test pins
ALLURE_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "allure-cli"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _with_root_causes(summary: dict[str, Any]) -> dict[str, Any]:
    summary["root_causes"] = root_causes(TestFinished(**t) for t in summary["tests"])
    return summary


def _failed(nodeid: str, *findings: dict[str, Any], message: str = "failed") -> TestFinished:
    return TestFinished(nodeid, area="create", outcome="failed", message=message, findings=list(findings))


def test_root_causes_group_failures_by_check_and_distinct_message():
    tests = [
        _failed(f"test_create.py::t{i}", finding("usage.names", "error", f"ex{i}",
                                                 message=f"usage in event {i + 10} uses prompt_tokens"))
        for i in range(94)
    ]
    tests.append(_failed("test_stream.py::s", finding("stream.gap", "error", "ex-s", message="event 8 jumps"),
                         finding("usage.names", "error", "ex-s", message="another wording entirely")))
    tests.append(_failed("test_lifecycle.py::d", message="assert 200 == 404\nmore"))
    tests.append(TestFinished("test_create.py::ok", outcome="passed",
                              findings=[finding("usage.names", "warning", "ex-ok")]))
    causes = root_causes(tests)
    assert [(c["check_id"], c["tests"], c["exchanges"], c["distinct"]) for c in causes] == [
        ("usage.names", 95, 95, 2), (ASSERTION, 1, 0, 1), ("stream.gap", 1, 1, 1)]
    first = causes[0]["messages"][0]
    assert first["tests"] == 94 and first["example_test"] == "test_create.py::t0"
    assert causes[1]["messages"][0]["message"] == "assert 200 == 404"


def test_junit_names_the_target_and_leads_each_failure_with_its_check_ids_and_repro(tmp_path: Path):
    summary = _with_root_causes(failing_run(tmp_path, target="relay-a"))
    summary["tests"][0]["message"] += ("\nYou can reproduce this example by temporarily adding "
                                       "@reproduce_failure('6.100.0', b'AXicY2BgAAAABQAB') as a decorator")
    write_reports(tmp_path, summary)
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "respcheck.relay-a"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["target"] == "relay-a" and props["base_url"] == "https://relay.example/v1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failed = cases[FAILING_TEST.partition("::")[2]]
    assert failed.get("classname") == "respcheck.relay-a.suites.test_streaming"
    failure = failed.find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith("stream.sequence.increments, stream.order.created_first: ")
    assert " | repro: curl -sS -X POST 'https://relay.example/v1/responses'" in message
    assert "$RELAY_A_KEY" in message
    # how its exchange went (retried after a 429), after the repro, as the HTML page's card says it
    notes = (failure.text or "").partition("\nclient notes:\n  exchange ")[2]
    assert notes.endswith(": attempt 2 of 3, after 429 (waited 1 s)") and "\n" not in notes
    text = ET.tostring(ET.parse(tmp_path / "junit.xml").getroot(), encoding="unicode")
    assert "reproduce_failure" not in text and "AXicY2BgAAAABQAB" not in text
    root = suite.find("system-out")
    assert root is not None and "root causes: 2 distinct problems in 1 failing test" in (root.text or "")


def test_two_targets_in_one_pipeline_do_not_collide(tmp_path: Path):
    names = set()
    for target in ("relay-a", "relay-b"):
        write_reports(tmp_path / target, _with_root_causes(failing_run(tmp_path / target, target=target)))
        cases = ET.parse(tmp_path / target / "junit.xml").getroot().iter("testcase")
        names |= {(c.get("classname"), c.get("name")) for c in cases}
    assert len(names) == 6  # 3 tests x 2 targets: no (class, name) pair shared


def test_without_blobs_drops_hypothesis_reproduce_lines_only():
    text = "E   usage.names\n@reproduce_failure('6.1', b'AAAA')\nrepro: curl x"
    assert without_blobs(text) == "E   usage.names\nrepro: curl x"


def _allure(report: Path) -> tuple[list[dict[str, Any]], Path]:
    out = report / "allure-results"
    return [json.loads(p.read_text()) for p in out.glob("*-result.json")], out


def test_allure_results_carry_labels_parameters_attachments_environment_and_categories(tmp_path: Path):
    summary = _with_root_causes(failing_run(tmp_path, target="relay-a"))
    write_reports(tmp_path, summary)
    results, out = _allure(tmp_path)
    failed = next(r for r in results if r["status"] == "failed")
    labels = {(label["name"], label["value"]) for label in failed["labels"]}
    assert {("epic", "streaming"), ("feature", "stream"), ("story", "test_sequence_numbers"),
            ("tag", "stream.sequence.increments"), ("tag", "stream.order.created_first"),
            ("parentSuite", "relay-a")} <= labels
    assert {"name": "target", "value": "relay-a"} in failed["parameters"]
    assert {"name": "model", "value": "gpt-4o"} in failed["parameters"]
    leading = "stream.sequence.increments, stream.order.created_first:"
    assert failed["statusDetails"]["message"].startswith(leading)
    (step,) = failed["steps"]
    # how the exchange went (it was retried after a 429), as the HTML page's "client notes" says it
    assert {"name": "client note", "value": "attempt 2 of 3, after 429 (waited 1 s)"} in step["parameters"]
    attached = {a["name"]: out / a["source"] for a in step["attachments"]}
    assert set(attached) == {"request", "response", "SSE transcript", "findings", "curl"}
    assert all(path.is_file() for path in attached.values())
    assert "event: response.created" in attached["SSE transcript"].read_text()
    assert attached["curl"].read_text().startswith("curl -sS -X POST 'https://relay.example/v1/responses'")
    assert {f["check_id"] for f in json.loads(attached["findings"].read_text())} == {
        "stream.sequence.increments", "stream.order.created_first"}
    environment = (out / "environment.properties").read_text()
    assert "target=relay-a\n" in environment and "base_url=https://relay.example/v1\n" in environment
    categories = json.loads((out / "categories.json").read_text())
    assert categories[0]["name"] == "stream checks"
    other = tmp_path / "b"
    write_reports(other, _with_root_causes(failing_run(other, target="relay-b")))
    history = {r["historyId"] for r in results} & {r["historyId"] for r in _allure(other)[0]}
    assert history == set()  # the target is part of the history id


def _allure_cli() -> Path | None:
    """The pinned Allure 3 CLI, installed with npm into a folder this test owns (None if it cannot be)."""
    cli = ALLURE_CACHE / "node_modules" / "allure" / "cli.js"
    package = ALLURE_CACHE / "node_modules" / "allure" / "package.json"
    if package.is_file() and json.loads(package.read_text()).get("version") == ALLURE_VERSION:
        return cli
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None
    ALLURE_CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--no-save", "--prefix",
                           str(ALLURE_CACHE), f"allure@{ALLURE_VERSION}"],
                          capture_output=True, text=True, timeout=600, check=False)
    return cli if done.returncode == 0 and cli.is_file() else None


def _visible_text(dom: str) -> str:
    import re

    body = re.sub(r"<script.*?</script>", "", dom[dom.find("<body"):], flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_the_real_allure_3_cli_renders_the_results_with_attachments_and_check_ids(tmp_path: Path):
    cli = _allure_cli()
    if cli is None:
        pytest.skip(f"the Allure CLI (npm allure@{ALLURE_VERSION}) is not installed and npm could not "
                    "install it (no node/npm, or no registry)")
    summary = _with_root_causes(failing_run(tmp_path, target="relay-a"))
    write_reports(tmp_path, summary)
    config = tmp_path / "allurerc.json"
    single_file = {"awesome": {"options": {"singleFile": True}}}
    config.write_text(json.dumps({"name": "respcheck", "plugins": single_file}))
    html = tmp_path / "allure-report"
    done = subprocess.run(["node", str(cli), "generate", str(tmp_path / "allure-results"), "-c", str(config),
                           "-o", str(html)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert [p.name for p in html.glob("*.html")] == ["index.html"]  # one self-contained page
    by_id = json.loads((html / "test-results.json").read_text())["byId"]
    failed = next(k for k, v in by_id.items() if v["status"] == "failed")
    page = (html / "index.html").resolve().as_uri() + f"#{failed}"
    for attempt in range(3):  # the page loads its embedded data with fetch(): on a loaded VM it can miss
        shown = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / f'p{attempt}'}", "--virtual-time-budget=20000", "--dump-dom",
             page],
            capture_output=True, text=True, timeout=180, check=False)
        text = _visible_text(shown.stdout)
        if "Failed to fetch" not in text:
            break
    assert "stream.sequence.increments" in text  # the tag label (and the message's leading check id)
    assert "SSE transcript" in text and "curl" in text  # the exchange's attachments, listed in its step
    assert "relay-a" in text


def test_html_shows_root_causes_before_the_failing_tests_and_links_the_example(tmp_path: Path):
    summary = _with_root_causes(failing_run(tmp_path, target="relay-a"))
    write_reports(tmp_path, summary)
    page = (tmp_path / "index.html").read_text()
    causes = page.index('id="root-causes"')
    assert causes < page.index('id="failures"')
    assert "Root causes (2 distinct problems in 1 failing test)" in page
    anchor = page[causes:].split('href="#', 1)[1].split('"', 1)[0]
    assert f'id="{anchor}"' in page  # the example's own card


def test_the_matrix_has_a_row_per_root_cause_with_its_counts_per_target(tmp_path: Path):
    failing = _with_root_causes(failing_run(tmp_path / "a", target="relay-a"))
    write_reports(tmp_path / "a", failing)
    passing = _with_root_causes(make_summary(target="relay-b"))
    write_run(tmp_path / "b", passing, [])
    write_reports(tmp_path / "b", passing)
    page = build_matrix([tmp_path / "a", tmp_path / "b"], tmp_path / "matrix.html").read_text()
    assert "Root causes of failures (2)" in page
    row = page[page.index('<th scope="row" class="mono">stream.sequence.increments</th>'):]
    row = row[:row.index("</tr>")]
    assert "1 distinct problem in 1 test, 1 exchange" in row and '<td class="empty">·</td>' in row


def test_a_schema_findings_clause_is_the_spec_pointer_it_was_derived_from():
    record = recorded.first(lambda r: not r["streaming"] and r["endpoint"] == "create"
                            and r["response"]["status"] == 200 and r["provider"] == "openai")
    record = json.loads(json.dumps(record))
    record["response"]["body"]["parallel_tool_calls"] = "yes"
    found = [f for f in judge(exchange_from_record(record)) if f.check_id == "schema.response"]
    assert found and {f.clause for f in found} == {
        "openai-openapi.json#/components/schemas/Response (schemas/openai/response.json)"}


def test_progress_lines_say_done_total_failures_eta_and_spend_against_the_budget():
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(LINES, budget_requests=500, stream=stream, clock=lambda: now[0])
    progress.collected(4)
    for i, outcome in enumerate(("passed", "failed", "passed")):
        now[0] += 6.0
        progress.test_started(f"suites/test_create.py::t{i}")
        progress.spend("gw0", 10 * (i + 1))
        progress.test_finished(TestFinished(f"t{i}", outcome=outcome))
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == ("respcheck: 2/4 tests · 1 failed · 12 s elapsed · ETA 12 s · 20 of 500 requests · "
                        "test_create.py::t1")
    assert lines[-1] == "respcheck: 3/4 tests · 1 failed · 18 s elapsed · 30 of 500 requests"


def test_a_run_in_a_ci_log_prints_plain_progress_lines_under_xdist(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "run", "--suite", "create", "-n", "2", "--report-dir",
         str(tmp_path / "r"), "--hypothesis-profile", "smoke"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "respcheck: 25/25 tests · 0 failed" in done.stdout and done.stderr == ""
    assert "....." not in done.stdout  # the progress lines replace pytest's dots


def test_stream_record_is_still_the_fixture_the_attachment_test_reads():
    record = live_record(stream_record(), FAILING_TEST)
    assert record["response"]["events"] and record["request"]["body"]["model"] == "gpt-4o"
