"""``junit.xml``: one JUnit testcase per test (xunit2), for CI systems.

Written from the verdict, so ``respcheck run`` and plain ``pytest --report-dir D`` write the same
file; a failure's text is the test's message (its findings) and its repro (respcheck.reports.repros).
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text
from respcheck.reports.repros import repro_commands
from respcheck.session.repro import with_repro
from respcheck.session.session import FinishHandler

JUNIT_FILE = "junit.xml"


class JUnit(FinishHandler):
    name = JUNIT_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        tree = ET.ElementTree(junit_tree(redact_record(summary)))
        ET.indent(tree)
        tree.write(self.report_dir / JUNIT_FILE, encoding="utf-8", xml_declaration=True)


def junit_tree(summary: dict[str, Any]) -> ET.Element:
    tests = summary.get("tests") or []
    counts = Counter(t.get("outcome") for t in tests)
    started = float(summary.get("started_at") or 0.0)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"respcheck:{(summary.get('target') or {}).get('name', '?')}",
        "tests": str(len(tests)),
        "failures": str(counts["failed"]),
        "errors": "0",
        "skipped": str(len(tests) - counts["failed"] - counts["passed"]),
        "time": f"{float(summary.get('finished_at') or started) - started:.3f}",
        "timestamp": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "hostname": socket.gethostname(),
    })
    for test in tests:
        path, _, name = str(test["nodeid"]).partition("::")
        case = ET.SubElement(suite, "testcase", {
            "classname": path.removesuffix(".py").replace("/", "."),
            "name": name or path,
            "time": f"{float(test.get('duration') or 0.0):.3f}",
        })
        message = redact_text(str(test.get("message") or ""))
        if test.get("outcome") == "failed":
            message = with_repro(message, repro_commands(test))
            failure = ET.SubElement(case, "failure", {"message": message.splitlines()[0] if message else ""})
            failure.text = message
        elif test.get("outcome") != "passed":
            ET.SubElement(case, "skipped", {"type": str(test.get("outcome")), "message": message})
    return suites
