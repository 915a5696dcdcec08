"""Access to the real recorded traffic in tests/fixtures and the specs in specs/ (tests only; the package
never needs them)."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

from respcheck.exchange import Exchange
from respcheck.replay.jsonl import exchange_from_record

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = REPO / "tests" / "fixtures" / "recordings"
SPECS = REPO / "specs"
DOCS = SPECS / "docs"


@cache
def _records() -> tuple[dict, ...]:
    import json

    out = []
    for path in sorted(RECORDINGS.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return tuple(out)


def records() -> list[dict]:
    """Fresh deep copies of every recorded exchange record (safe to mutate)."""
    return copy.deepcopy(list(_records()))


def record(record_id: str) -> dict:
    for r in _records():
        if r["id"] == record_id:
            return copy.deepcopy(r)
    raise KeyError(record_id)


def exchanges(provider: str | None = "openai") -> list[Exchange]:
    return [exchange_from_record(r) for r in records() if provider is None or r["provider"] == provider]


def first(predicate) -> dict:
    """A deep copy of the first recorded exchange record matching ``predicate(record)``."""
    for r in _records():
        if predicate(r):
            return copy.deepcopy(r)
    raise LookupError("no recorded exchange matches")
