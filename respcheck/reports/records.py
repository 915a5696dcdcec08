"""The run's recorded exchanges (``exchanges.jsonl``), as the report writers read them.

Each line is an exchange record in the fixtures' JSONL format plus ``test`` (the pytest node id
that made the request) and ``target``. The plugin writes them redacted; the writers scrub again
anyway, because the page and the HAR are what people paste into tickets.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record

EXCHANGES_FILE = "exchanges.jsonl"


def iter_records(report_dir: Path, tests: Container[str] | None = None) -> Iterator[dict[str, Any]]:
    """The run's readable records one at a time, redacted (a torn or garbled line is skipped, not
    fatal); only those of ``tests`` when given. Memory stays flat however long the run was."""
    path = report_dir / EXCHANGES_FILE
    if not path.is_file():
        return
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not (isinstance(record, dict) and isinstance(record.get("request"), dict)):
                continue
            if tests is None or str(record.get("test") or "") in tests:
                yield redact_record(record)


def load_records(report_dir: Path, tests: Container[str] | None = None) -> list[dict[str, Any]]:
    """Every readable record of the run (of ``tests`` when given), redacted."""
    return list(iter_records(report_dir, tests))


def by_test(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records grouped by the node id of the test that made them, in the order they were made."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[str(record.get("test") or "")].append(record)
    return dict(grouped)
