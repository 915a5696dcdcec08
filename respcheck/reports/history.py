"""The run history: one SQLite row per run per target, and what changed since the last one.

The file is ``history.sqlite`` beside the report folders (``reports/history.sqlite`` for the
default ``reports/<time>-<target>/``). The schema is one table, versioned with SQLite's
``user_version`` so a later respcheck can migrate it instead of guessing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record
from respcheck.session.session import FinishHandler
from respcheck.session.tally import EXIT_INTERRUPTED, VERDICTS

HISTORY_FILE = "history.sqlite"
SCHEMA_VERSION = 1
INTERRUPTED = VERDICTS[EXIT_INTERRUPTED]  # the verdict of a run stopped by Ctrl-C

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    run_at      REAL    NOT NULL,     -- when the run started (epoch seconds)
    target      TEXT    NOT NULL,
    verdict     TEXT    NOT NULL,     -- pass | fail | error | budget_exhausted | interrupted
    exit_code   INTEGER NOT NULL,
    totals      TEXT    NOT NULL,     -- JSON {outcome: count}
    checks      TEXT    NOT NULL,     -- JSON {check_id: {severity: count}}
    failing     TEXT    NOT NULL,     -- JSON [test node id], sorted
    passed      TEXT    NOT NULL,     -- JSON [test node id], sorted (to tell "fixed" from "not run")
    report_dir  TEXT,
    UNIQUE (target, run_at)           -- writing the same run's reports twice replaces its row
);
CREATE INDEX IF NOT EXISTS runs_by_target ON runs (target, run_at);
"""


def default_history_path(report_dir: Path) -> Path:
    return report_dir.resolve().parent / HISTORY_FILE


@dataclass(frozen=True)
class Run:
    run_at: float
    target: str
    verdict: str
    exit_code: int
    totals: dict[str, int]
    checks: dict[str, dict[str, int]]
    failing: list[str]
    passed: list[str]
    report_dir: str | None = None

    @classmethod
    def from_summary(cls, summary: dict[str, Any], report_dir: Path | None = None) -> Run:
        tests = summary.get("tests") or []
        return cls(
            run_at=float(summary.get("started_at") or 0.0),
            target=str((summary.get("target") or {}).get("name") or "unknown"),
            verdict=str(summary.get("verdict") or "error"),
            exit_code=int(summary.get("exit_code") or 0),
            totals=dict(summary.get("totals") or {}),
            checks={k: dict(v) for k, v in (summary.get("checks") or {}).items()},
            failing=sorted(t["nodeid"] for t in tests if t.get("outcome") == "failed"),
            passed=sorted(t["nodeid"] for t in tests if t.get("outcome") == "passed"),
            report_dir=str(report_dir) if report_dir is not None else None,
        )


@dataclass(frozen=True)
class Changes:
    """What differs between a run and the previous run of the same target."""

    previous: Run | None
    newly_failing: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    new_checks: list[str] = field(default_factory=list)  # check ids firing now, silent before
    cleared_checks: list[str] = field(default_factory=list)  # firing before, silent now

    @property
    def any(self) -> bool:
        return bool(self.newly_failing or self.fixed or self.new_checks or self.cleared_checks)

    def to_dict(self) -> dict[str, Any]:
        prev = self.previous
        return {
            "previous": None if prev is None else {
                "run_at": prev.run_at, "verdict": prev.verdict, "report_dir": prev.report_dir,
                "totals": prev.totals,
            },
            "newly_failing": self.newly_failing,
            "fixed": self.fixed,
            "new_checks": self.new_checks,
            "cleared_checks": self.cleared_checks,
        }


def compare(previous: Run | None, current: Run) -> Changes:
    if previous is None:
        return Changes(None)
    before, now = set(previous.failing), set(current.failing)
    fired_before = {c for c, n in previous.checks.items() if any(n.values())}
    fired_now = {c for c, n in current.checks.items() if any(n.values())}
    return Changes(
        previous,
        newly_failing=sorted(now - before),
        # Fixed means it ran and passed: a test that was simply not run this time is not fixed.
        fixed=sorted(before & set(current.passed)),
        new_checks=sorted(fired_now - fired_before),
        # a check silent in a run cut short may only not have been reached
        cleared_checks=[] if current.verdict == INTERRUPTED else sorted(fired_before - fired_now),
    )


@contextmanager
def open_history(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)  # several runs may finish at once
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{path}: history schema v{version} is newer than this respcheck "
                               f"(v{SCHEMA_VERSION}); upgrade respcheck or use another --history file")
        with db:
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        yield db
    finally:
        db.close()


def _row_to_run(row: tuple[Any, ...]) -> Run:
    run_at, target, verdict, exit_code, totals, checks, failing, passed, report_dir = row
    return Run(run_at, target, verdict, exit_code, json.loads(totals), json.loads(checks),
               json.loads(failing), json.loads(passed), report_dir)


_COLUMNS = "run_at, target, verdict, exit_code, totals, checks, failing, passed, report_dir"


def append(db: sqlite3.Connection, run: Run) -> None:
    with db:
        db.execute(
            f"INSERT OR REPLACE INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run.run_at, run.target, run.verdict, run.exit_code, json.dumps(run.totals, sort_keys=True),
             json.dumps(run.checks, sort_keys=True), json.dumps(run.failing), json.dumps(run.passed),
             run.report_dir),
        )


def previous_run(db: sqlite3.Connection, target: str, before: float) -> Run | None:
    """The latest run of ``target`` that started before ``before`` and was not interrupted (Ctrl-C:
    what it did not reach would read as new findings in the next run)."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE target = ? AND run_at < ? AND verdict != ? "
        "ORDER BY run_at DESC LIMIT 1",
        (target, before, INTERRUPTED),
    ).fetchone()
    return _row_to_run(row) if row else None


def runs(db: sqlite3.Connection, target: str | None = None) -> list[Run]:
    sql = f"SELECT {_COLUMNS} FROM runs"
    args: tuple[Any, ...] = ()
    if target is not None:
        sql += " WHERE target = ?"
        args = (target,)
    return [_row_to_run(r) for r in db.execute(sql + " ORDER BY run_at", args)]


def record_and_compare(path: Path, summary: dict[str, Any], report_dir: Path | None = None) -> Changes:
    """Append this run to the history at ``path`` and say what changed since the target's last run."""
    current = Run.from_summary(summary, report_dir)
    with open_history(path) as db:
        append(db, current)
        return compare(previous_run(db, current.target, current.run_at), current)


def changes_since(path: Path, summary: dict[str, Any], before: float | None = None) -> Changes:
    """What changed for this run's target since its last run before ``before`` (default: this run),
    without writing anything (the nightly matrix reads, it does not append)."""
    current = Run.from_summary(summary)
    if not path.is_file():
        return Changes(None)
    with open_history(path) as db:
        return compare(previous_run(db, current.target, before or current.run_at), current)


class History(FinishHandler):
    """Appends the run to the history and adds ``changes`` to the summary (so it runs before the
    handlers that write the summary and the page)."""

    name = "history"

    def __init__(self, report_dir: Path, path: Path | None = None) -> None:
        self.report_dir = report_dir
        self.path = path or default_history_path(report_dir)

    def write(self, summary: dict[str, Any]) -> None:
        changes = record_and_compare(self.path, redact_record(summary), self.report_dir)
        summary["changes"] = redact_record(changes.to_dict())
