"""The verdict of a run, folded from its events: outcomes by area, findings by check, the spend,
the exit code and ``summary.json``'s content.

Exit codes: 0 all passed; 1 conformance failures; 2 could not run; 3 a budget was exhausted
before the run finished (and nothing failed).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict
from typing import Any

from respcheck import __version__
from respcheck.budget import Spend
from respcheck.session.events import BudgetState, Event, RunStarted, TestFinished

EXIT_OK, EXIT_FAILURES, EXIT_COULD_NOT_RUN, EXIT_BUDGET = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
VERDICTS = {
    EXIT_OK: "pass", EXIT_FAILURES: "fail", EXIT_COULD_NOT_RUN: "error", EXIT_BUDGET: "budget_exhausted",
}
OUTCOMES = ("passed", "failed", "unsupported", "skipped", "budget")


class Tally:
    def __init__(self) -> None:
        self.target: dict[str, Any] = {"name": "unknown"}
        self.started = time.time()
        self.tests: dict[str, TestFinished] = {}
        self.spend = Spend()
        self.exhausted: str | None = None

    def apply(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.target, self.started = event.target, event.started_at
        elif isinstance(event, TestFinished):
            self.tests[event.nodeid] = event
        elif isinstance(event, BudgetState):
            self.spend = self.spend + Spend.from_dict(event.spend)
            self.exhausted = self.exhausted or event.exhausted

    def counts(self) -> Counter[str]:
        return Counter(t.outcome for t in self.tests.values())

    def exit_code(self, could_not_finish: bool = False, lost: str | None = None) -> int:
        """``lost``: why the target stopped answering mid-run (nothing after it means anything)."""
        counts = self.counts()
        if lost:
            return EXIT_COULD_NOT_RUN
        if counts["failed"]:
            return EXIT_FAILURES
        if counts["budget"]:
            return EXIT_BUDGET
        return EXIT_COULD_NOT_RUN if could_not_finish else EXIT_OK

    def by_area(self) -> dict[str, Counter[str]]:
        areas: dict[str, Counter[str]] = defaultdict(Counter)
        for t in self.tests.values():
            areas[t.area][t.outcome] += 1
        return dict(sorted(areas.items()))

    def by_check(self) -> dict[str, Counter[str]]:
        checks: dict[str, Counter[str]] = defaultdict(Counter)
        for t in self.tests.values():
            for f in t.findings:
                checks[f["check_id"]][f["severity"]] += 1
        return dict(sorted(checks.items()))

    def budget_reason(self) -> str | None:
        found = next((t.message for t in self.tests.values() if t.outcome == "budget"), None)
        return found or self.exhausted

    def summary(self, code: int, lost: str | None = None) -> dict[str, Any]:
        """``summary.json``: the verdict per area, per check, per test, and the spend."""
        return {
            "respcheck": __version__,
            "started_at": self.started,
            "finished_at": time.time(),
            "target": self.target,
            "verdict": VERDICTS.get(code, "error"),
            "exit_code": code,
            "totals": dict(self.counts()),
            "areas": {a: dict(c) for a, c in self.by_area().items()},
            "checks": {c: dict(n) for c, n in self.by_check().items()},
            "spend": self.spend.to_dict(),
            "budget_exhausted": self.budget_reason(),
            "target_lost": lost,
            "tests": [_test_row(t) for t in self.tests.values()],
        }


def _test_row(test: TestFinished) -> dict[str, Any]:
    row = asdict(test)
    row.pop("exchanges")
    return row
