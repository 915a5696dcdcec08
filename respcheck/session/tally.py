"""The verdict of a run, folded from its events: outcomes by area, findings by check, the spend,
the exit code and ``summary.json``'s content.

Exit codes: 0 all passed (failures the baseline knows included); 1 conformance failures, or an
expired baseline entry; 2 could not run; 3 a budget was exhausted before the run finished (and
nothing failed).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from respcheck import __version__
from respcheck.budget import Spend
from respcheck.session.events import BudgetState, Event, RunStarted, TestFinished

EXIT_OK, EXIT_FAILURES, EXIT_COULD_NOT_RUN, EXIT_BUDGET = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
VERDICTS = {
    EXIT_OK: "pass", EXIT_FAILURES: "fail", EXIT_COULD_NOT_RUN: "error", EXIT_BUDGET: "budget_exhausted",
    EXIT_INTERRUPTED: "interrupted",
}
# "known": failed, but every error finding is accepted by the baseline (session.baseline)
OUTCOMES = ("passed", "failed", "known", "unsupported", "skipped", "budget")


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

    def exit_code(self, could_not_finish: bool = False, lost: str | None = None,
                  gate_fails: bool = False, interrupted: bool = False) -> int:
        """``lost``: why the target stopped answering mid-run (nothing after it means anything);
        ``gate_fails``: the baseline has an expired entry; ``interrupted``: Ctrl-C (130, as the shell's
        own, whatever was judged before it: the run is not a verdict on the target)."""
        counts = self.counts()
        if lost:
            return EXIT_COULD_NOT_RUN
        if interrupted:
            return EXIT_INTERRUPTED
        if counts["failed"] or gate_fails:
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
            "root_causes": root_causes(self.tests.values()),
            "tests": [_test_row(t) for t in self.tests.values()],
        }


def _test_row(test: TestFinished) -> dict[str, Any]:
    row = asdict(test)
    row.pop("exchanges")
    return row


# What varies between two reports of one problem: numbers (event indexes, counts) and server ids.
_VARYING = re.compile(r"\b(?:resp|msg|rs|fc|call|item|caresp)_[A-Za-z0-9]+|\d+")
ASSERTION = "(test assertion)"  # the group of failures that carry no error finding
MAX_MESSAGES = 5  # distinct messages kept per check


def problem_key(message: str) -> str:
    """A message with what varies between reports of one problem masked: the distinct problem."""
    return _VARYING.sub("#", message.splitlines()[0] if message else "")


def root_causes(tests: Iterable[TestFinished]) -> list[dict[str, Any]]:
    """The failures grouped by check id, then by distinct message: how many tests (failed, or
    known to the baseline) and exchanges each touched, one example each. A failure with no error
    finding (a scenario's own assertion) is grouped by its first line under ``ASSERTION``. Most
    tests first."""
    groups: dict[str, dict[str, Any]] = {}
    for test in tests:
        if test.outcome not in ("failed", "known"):
            continue
        errors = [f for f in test.findings if f.get("severity") == "error"]
        if not errors:
            _add(groups, ASSERTION, test, None, test.message)
        for finding in errors:
            _add(groups, str(finding.get("check_id")), test, finding, str(finding.get("message") or ""))
    return sorted((_group_row(g) for g in groups.values()), key=lambda g: (-g["tests"], g["check_id"]))


def _add(groups: dict[str, dict[str, Any]], check_id: str, test: TestFinished,
         finding: dict[str, Any] | None, message: str) -> None:
    group = groups.setdefault(check_id, {"check_id": check_id, "tests": set(), "exchanges": set(),
                                         "known": set(), "messages": {}, "clause": None})
    exchange = (finding or {}).get("exchange_id")
    group["tests"].add(test.nodeid)
    if exchange:
        group["exchanges"].add(exchange)
    if finding is not None and finding.get("baseline"):
        group["known"].add(test.nodeid)
    group["clause"] = group["clause"] or (finding or {}).get("clause")
    key = problem_key(message)
    if key not in group["messages"]:
        group["messages"][key] = {
            "message": (message.splitlines() or [""])[0], "tests": set(), "exchanges": set(),
            "example_test": test.nodeid, "example_exchange": exchange,
            "location": (finding or {}).get("location"),
        }
    shown = group["messages"][key]
    shown["tests"].add(test.nodeid)
    if exchange:
        shown["exchanges"].add(exchange)


def _group_row(group: dict[str, Any]) -> dict[str, Any]:
    messages = sorted(group["messages"].values(), key=lambda m: -len(m["tests"]))
    return {
        "check_id": group["check_id"],
        "clause": group["clause"],
        "tests": len(group["tests"]),
        "exchanges": len(group["exchanges"]),
        "known": len(group["known"]) == len(group["tests"]),  # every test it touched is in the baseline
        "distinct": len(messages),
        "messages": [dict(m, tests=len(m["tests"]), exchanges=len(m["exchanges"]))
                     for m in messages[:MAX_MESSAGES]],
    }
