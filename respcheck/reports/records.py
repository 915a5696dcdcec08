"""The run's recorded exchanges (``exchanges.jsonl``), as the report writers read them.

Each line is an exchange record in the fixtures' JSONL format plus ``test`` (the pytest node id
that made the request) and ``target``. The plugin writes them redacted; the writers scrub again
anyway, because the page and the HAR are what people paste into tickets.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record

EXCHANGES_FILE = "exchanges.jsonl"


def load_records(report_dir: Path) -> list[dict[str, Any]]:
    """Every readable record of the run, redacted (a torn or garbled line is skipped, not fatal)."""
    path = report_dir / EXCHANGES_FILE
    if not path.is_file():
        return []
    records = []
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("request"), dict):
                records.append(redact_record(record))
    return records


def by_test(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records grouped by the node id of the test that made them, in the order they were made."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[str(record.get("test") or "")].append(record)
    return dict(grouped)
