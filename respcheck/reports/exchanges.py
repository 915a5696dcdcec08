"""``exchanges.jsonl``: every exchange of the run, redacted, in the recording format.

Each process records to its own part (``exchanges-<worker>.jsonl``, session.live) as it goes;
this handler joins the parts, line by line, into one file (memory stays flat however long the run).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from respcheck.reports.records import EXCHANGES_FILE
from respcheck.session.recording import EXCHANGE_PARTS
from respcheck.session.session import FinishHandler


class ExchangesJsonl(FinishHandler):
    name = EXCHANGES_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        parts = sorted(self.report_dir.glob(EXCHANGE_PARTS))
        if not parts:
            return
        with open(self.report_dir / EXCHANGES_FILE, "wb") as out:
            for part in parts:
                with open(part, "rb") as lines:
                    shutil.copyfileobj(lines, out)
                part.unlink()
