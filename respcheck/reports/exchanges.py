"""``exchanges.jsonl``: every exchange of the run, redacted, in the recording format.

Each process records to its own part (``exchanges-<worker>.jsonl``, session.live) as it goes;
this handler joins the parts, line by line, into one file (memory stays flat however long the run).
Within a part, the exchanges are put in the order of the tests that made them, as they finished
(the collection order): tests run at once (``--concurrency``) interleave their lines, and the file
is then the one a sequential run writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from respcheck.reports.records import EXCHANGES_FILE
from respcheck.session.events import Event, TestFinished
from respcheck.session.recording import EXCHANGE_PARTS
from respcheck.session.session import FinishHandler


class ExchangesJsonl(FinishHandler):
    name = EXCHANGES_FILE

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir
        self.test_order: dict[str, int] = {}  # node id -> its place among the finished tests

    def handle(self, event: Event) -> None:
        if isinstance(event, TestFinished):
            self.test_order.setdefault(event.nodeid, len(self.test_order))
        super().handle(event)

    def write(self, summary: dict[str, Any]) -> None:
        parts = sorted(self.report_dir.glob(EXCHANGE_PARTS))
        if not parts:
            return
        with open(self.report_dir / EXCHANGES_FILE, "wb") as out:
            for part in parts:
                with open(part, "rb") as lines:
                    copy_in_test_order(lines, out, self.test_order)
                part.unlink()


def copy_in_test_order(lines: BinaryIO, out: BinaryIO, test_order: dict[str, int]) -> None:
    """``lines`` to ``out``, stably sorted by the order of the test each line's record names (a line
    naming no known test stays with the line before it); a plain copy when already in order."""
    places: list[tuple[int, int, int]] = []  # (test's place, offset, length), in file order
    place = -1
    offset = 0
    for line in lines:
        place = test_order.get(_test_of(line), place)
        places.append((place, offset, len(line)))
        offset += len(line)
    lines.seek(0)
    if all(a[0] <= b[0] for a, b in zip(places, places[1:], strict=False)):
        shutil.copyfileobj(lines, out)
        return
    for _, start, length in sorted(places, key=lambda p: p[0]):  # stable: each test's lines keep their order
        lines.seek(start)
        out.write(lines.read(length))


def _test_of(line: bytes) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return ""
    return str(record.get("test") or "") if isinstance(record, dict) else ""
