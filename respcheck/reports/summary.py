"""``summary.json``: the machine-readable verdict (per area, per check, per test, the spend, and
``changes`` since the target's previous run when the history handler ran first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text
from respcheck.session.session import FinishHandler
from respcheck.session.target import shown_url

SUMMARY_FILE = "summary.json"


class SummaryJson(FinishHandler):
    name = SUMMARY_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        shown = dict(redact_record(summary))  # a copy: redact_record may return the caller's own dict
        target = shown.get("target")
        if isinstance(target, dict) and target.get("base_url"):
            shown["target"] = {**target, "base_url": shown_url(str(target["base_url"]))}
        text = redact_text(json.dumps(shown, indent=1, ensure_ascii=False)) + "\n"
        (self.report_dir / SUMMARY_FILE).write_text(text, encoding="utf-8")
