"""``findings.ndjson``: one finding per line, with its test, area and target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record
from respcheck.session.session import FinishHandler

FINDINGS_FILE = "findings.ndjson"


class FindingsNdjson(FinishHandler):
    name = FINDINGS_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        target = (summary.get("target") or {}).get("name")
        with open(self.report_dir / FINDINGS_FILE, "w", encoding="utf-8") as out:
            for test in summary.get("tests") or []:
                for f in test.get("findings") or []:
                    row = dict(f, test=test["nodeid"], area=test.get("area"), target=target)
                    out.write(json.dumps(redact_record(row), ensure_ascii=False) + "\n")
