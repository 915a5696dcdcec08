"""``junit.xml``: one JUnit testcase per test (xunit2), for CI systems.

Written from the verdict, so ``respcheck run`` and plain ``pytest --report-dir D`` write the same
file. Made for CI systems that show only a few attributes:

- the target is in the suite name and in every class name (``respcheck.<target>.test_create``), so
  two targets' files in one pipeline never merge into one test;
- a failure's ``message`` attribute begins with its check id(s), then the first finding and the curl
  repro (respcheck.reports.repros); the full text (every finding, the repro calls, the client's notes on
  its exchanges: a 429 retried, a request sent again) is the element's text;
- a failure the baseline knows is ``skipped`` with type ``known``;
- the suite's ``system-out`` holds the root causes, grouped as the terminal prints them, and its
  properties say which target, URL, profiles and respcheck version ran; nothing carries
  hypothesis' ``@reproduce_failure`` blobs.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text
from respcheck.reports.repros import repro_commands
from respcheck.reports.terminal import root_cause_lines
from respcheck.session.repro import with_repro
from respcheck.session.session import FinishHandler
from respcheck.session.target import shown_url

JUNIT_FILE = "junit.xml"
# hypothesis' "@reproduce_failure('6.x', b'AXic...')" hint: a base64 blob no CI reader can use
_BLOB_LINE = re.compile(r"^.*(reproduce_failure|@seed\().*$\n?", re.MULTILINE)


class JUnit(FinishHandler):
    name = JUNIT_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        tree = ET.ElementTree(junit_tree(redact_record(summary)))
        ET.indent(tree)
        tree.write(self.report_dir / JUNIT_FILE, encoding="utf-8", xml_declaration=True)


def without_blobs(text: str) -> str:
    return _BLOB_LINE.sub("", text)


def failure_message(test: dict[str, Any], repro: list[str]) -> str:
    """``check.a, check.b: first finding's message | repro: curl ...`` (what a CI list shows)."""
    errors = [f for f in test.get("findings") or [] if f.get("severity") == "error"]
    ids = list(dict.fromkeys(str(f.get("check_id")) for f in errors))
    first = str(errors[0].get("message")) if errors else (without_blobs(str(test.get("message") or "")).strip()
                                                          .split("\n", 1)[0])
    head = f"{', '.join(ids)}: {first}" if ids else first
    return head + (f" | repro: {' && '.join(repro)}" if repro else "")


def client_notes_text(test: dict[str, Any]) -> str:
    """The client's notes on a failed test's exchanges (``repros.client_notes``: a 429 retried, a request
    sent again), as the HTML page's card lists them; empty when there are none."""
    notes = [redact_text(str(note)) for note in test.get("client_notes") or []]
    return "".join(["\nclient notes:", *(f"\n  {note}" for note in notes)]) if notes else ""


def junit_tree(summary: dict[str, Any]) -> ET.Element:
    tests = summary.get("tests") or []
    counts = Counter(t.get("outcome") for t in tests)
    started = float(summary.get("started_at") or 0.0)
    identity = summary.get("target") or {}
    target = str(identity.get("name", "?"))
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"respcheck.{target}",
        "tests": str(len(tests)),
        "failures": str(counts["failed"]),
        "errors": "0",
        "skipped": str(len(tests) - counts["failed"] - counts["passed"]),
        "time": f"{float(summary.get('finished_at') or started) - started:.3f}",
        "timestamp": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "hostname": socket.gethostname(),
    })
    properties = ET.SubElement(suite, "properties")
    base_url = shown_url(str(identity["base_url"])) if identity.get("base_url") else None
    for name, value in (("target", target), ("base_url", base_url),
                        ("profiles", ",".join(identity.get("profiles") or [])),
                        ("respcheck", summary.get("respcheck")), ("verdict", summary.get("verdict"))):
        if value:
            ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    for test in tests:
        path, _, name = str(test["nodeid"]).partition("::")
        case = ET.SubElement(suite, "testcase", {
            "classname": f"respcheck.{target}.{path.removesuffix('.py').replace('/', '.')}",
            "name": name or path,
            "time": f"{float(test.get('duration') or 0.0):.3f}",
        })
        message = without_blobs(redact_text(str(test.get("message") or "")))
        if test.get("outcome") == "failed":
            failure = ET.SubElement(case, "failure", {
                "message": failure_message(test, repro_commands(test)), "type": "conformance"})
            failure.text = with_repro(message, repro_commands(test)) + client_notes_text(test)
        elif test.get("outcome") == "known":
            reasons = sorted({str(f["baseline"]) for f in test.get("findings") or [] if f.get("baseline")})
            ET.SubElement(case, "skipped", {"type": "known",
                                            "message": f"known (baseline: {'; '.join(reasons)}): "
                                                       f"{failure_message(test, [])}"})
        elif test.get("outcome") != "passed":
            ET.SubElement(case, "skipped", {"type": str(test.get("outcome")), "message": message})
    causes = root_cause_lines(summary.get("root_causes") or [], summary)
    if causes:  # the failures grouped by root cause, as the terminal prints them
        ET.SubElement(suite, "system-out").text = "\n".join(causes)
    return suites
