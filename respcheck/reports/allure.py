"""``allure-results/``: one Allure result per test (``allure serve allure-results``).

Written from the verdict, like every other output, so plain pytest and ``respcheck run`` write
the same results: the outcome, the message (findings and the curl repro), the area as the
suite label and each finding as a step.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text
from respcheck.reports.repros import repro_commands
from respcheck.session.repro import with_repro
from respcheck.session.session import FinishHandler

ALLURE_DIR = "allure-results"
_STATUS = {"passed": "passed", "failed": "failed"}  # anything else did not run: skipped


class Allure(FinishHandler):
    name = ALLURE_DIR

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        out = self.report_dir / ALLURE_DIR
        out.mkdir(parents=True, exist_ok=True)
        target = str((summary.get("target") or {}).get("name") or "?")
        start = int(float(summary.get("started_at") or 0.0) * 1000)
        for test in summary.get("tests") or []:
            result = redact_record(allure_result(test, target, start))
            text = redact_text(json.dumps(result, ensure_ascii=False))
            (out / f"{result['uuid']}-result.json").write_text(text, encoding="utf-8")


def allure_result(test: dict[str, Any], target: str, start: int) -> dict[str, Any]:
    nodeid = str(test["nodeid"])
    stop = start + int(float(test.get("duration") or 0.0) * 1000)
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": nodeid,
        "name": nodeid.partition("::")[2] or nodeid,
        "fullName": nodeid,
        "status": _STATUS.get(str(test.get("outcome")), "skipped"),
        "statusDetails": {"message": with_repro(str(test.get("message") or ""), repro_commands(test))},
        "start": start,
        "stop": stop,
        "labels": [
            {"name": "suite", "value": str(test.get("area") or "other")},
            {"name": "parentSuite", "value": target},
            {"name": "framework", "value": "respcheck"},
        ],
        "steps": [
            {"name": f"[{f.get('severity')}] {f.get('check_id')}: {f.get('message')} (at {f.get('location')})",
             "status": "failed" if f.get("severity") == "error" else "passed", "start": start, "stop": stop}
            for f in test.get("findings") or []
        ],
    }
