"""The gate: a baseline file of known findings (``--baseline FILE``), so a run fails only on what is new.

The file is YAML or JSON (JSON is YAML)::

    baseline:
      - check: usage.names              # a check id (or a dotted prefix or glob)
        test: "test_create.py::*"       # optional: fnmatch pattern on the test id
        target: my-relay                # optional: only this target's runs
        reason: the relay translates from Chat Completions (RELAY-12)
        expires: 2027-01-31             # optional: from this day on the entry fails the run

A failed test whose every error finding is matched by a live entry is **known**: reported, not
failed. A failure with an error finding no entry matches, or with no finding at all (a scenario's
own assertion), is new and fails the run (exit 1). An entry that matched nothing although its
tests ran is reported **fixed**; an entry past its ``expires`` day fails the run, with a message
saying so. ``--update-baseline`` writes the file from the run: every error check firing on this
target, keeping the entries (and reasons) that still match, and the other targets' entries.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from respcheck.checks.policy import pattern_matches, pattern_problem
from respcheck.config.loader import YAMLProblem, load_yaml
from respcheck.session.events import TestFinished

KNOWN = "known"  # the outcome of a failed test whose every error finding the baseline accepts
_KEYS = ("check", "test", "target", "reason", "expires")
_FORMAT = "entries: check, reason (required), test, target, expires (optional)"


class BaselineError(ValueError):
    """A baseline file that cannot be used: one line, ready to print (exit 2)."""


@dataclass(frozen=True)
class Entry:
    check: str
    reason: str
    test: str | None = None
    target: str | None = None
    expires: dt.date | None = None

    def applies_to(self, target: str) -> bool:
        return self.target is None or self.target == target

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def matches(self, finding: dict[str, Any], nodeid: str, target: str) -> bool:
        return (self.applies_to(target) and pattern_matches(self.check, str(finding.get("check_id")))
                and self.covers_test(nodeid))

    def covers_test(self, nodeid: str) -> bool:
        return self.test is None or fnmatch.fnmatchcase(nodeid, self.test) or self.test in nodeid

    def label(self) -> str:
        where = "".join(f" {k}={v}" for k, v in (("test", self.test), ("target", self.target)) if v)
        return f"{self.check}{where}"

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check}
        if self.test:
            data["test"] = self.test
        if self.target:
            data["target"] = self.target
        data["reason"] = self.reason
        if self.expires:
            data["expires"] = self.expires.isoformat()
        return data


def load_baseline(path: Path) -> list[Entry]:
    """The entries of a baseline file; ``BaselineError`` (one line) for anything wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"--baseline: {path} does not exist — write it with --update-baseline") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"--baseline: cannot read {path} ({type(exc).__name__}) — pass a YAML or "
                            "JSON file") from None
    try:
        data, _ = load_yaml(text, aliases=False, keys_as_text=True)
    except YAMLProblem as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise BaselineError(f"--baseline: {where}: {exc.message}") from None
    items = data.get("baseline") if isinstance(data, dict) else data
    if data is None:
        return []
    if not isinstance(items, list):
        raise BaselineError(f"--baseline: {path}: expected a list under 'baseline:' ({_FORMAT})")
    return [_entry(item, f"{path}: baseline[{i}]") for i, item in enumerate(items)]


def _entry(item: Any, where: str) -> Entry:
    if not isinstance(item, dict):
        raise BaselineError(f"--baseline: {where}: expected a mapping ({_FORMAT})")
    unknown = [k for k in item if k not in _KEYS]
    if unknown:
        raise BaselineError(f"--baseline: {where}: unknown key {unknown[0]!r} ({_FORMAT})")
    for key in ("check", "reason"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise BaselineError(f"--baseline: {where}: '{key}' is required, as text ({_FORMAT})")
    for key in ("test", "target"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise BaselineError(f"--baseline: {where}.{key}: expected text")
    problem = pattern_problem(item["check"])
    if problem:
        raise BaselineError(f"--baseline: {where}.check: {item['check']!r} {problem}")
    return Entry(check=item["check"], reason=item["reason"], test=item.get("test"),
                 target=item.get("target"), expires=_date(item.get("expires"), where))


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BaselineError(f"--baseline: {where}.expires: {value!r} is not a date — "
                            "write YYYY-MM-DD") from None


def error_findings(test: TestFinished) -> list[dict[str, Any]]:
    return [f for f in test.findings if f.get("severity") == "error"]


@dataclass
class Gate:
    """Classifies each finished test against the baseline; ``verdict`` says what the gate decided."""

    entries: list[Entry]
    target: str
    path: Path | None = None
    update: bool = False  # --update-baseline: every failure made of error findings is accepted
    today: dt.date = field(default_factory=dt.date.today)
    matched: set[int] = field(default_factory=set)  # indexes of entries that matched a finding
    ran: list[str] = field(default_factory=list)  # node ids of the tests that ran (for "fixed")
    fired: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (nodeid, error finding)

    def classify(self, test: TestFinished) -> None:
        """Mark ``test`` known when the baseline accepts every error finding of its failure."""
        if test.outcome in ("passed", "failed"):
            self.ran.append(test.nodeid)
        unknown = 0
        for finding in test.findings:
            index = self._entry_for(finding, test.nodeid)
            if index is not None:
                self.matched.add(index)
                finding["baseline"] = self.entries[index].reason
            if finding.get("severity") == "error":
                self.fired.append((test.nodeid, finding))
                unknown += index is None
        accepted = self.update or not unknown
        if test.outcome == "failed" and error_findings(test) and accepted:
            test.outcome = KNOWN

    def _entry_for(self, finding: dict[str, Any], nodeid: str) -> int | None:
        for i, entry in enumerate(self.entries):
            if not entry.expired(self.today) and entry.matches(finding, nodeid, self.target):
                return i
        return None

    def expired(self) -> list[Entry]:
        return [e for e in self.entries if e.applies_to(self.target) and e.expired(self.today)]

    def fixed(self) -> list[Entry]:
        """Live entries of this target that matched nothing, although a test they cover ran."""
        return [e for i, e in enumerate(self.entries)
                if i not in self.matched and e.applies_to(self.target) and not e.expired(self.today)
                and any(e.covers_test(n) for n in self.ran)]

    def fails_run(self) -> bool:
        return bool(self.expired()) and not self.update

    def verdict(self, tests: Iterable[TestFinished]) -> dict[str, Any]:
        """``summary.json``'s ``baseline``: the file, and what the gate decided."""
        new = sorted({str(f.get("check_id")) for t in tests if t.outcome == "failed"
                      for f in error_findings(t) if "baseline" not in f})
        return {
            "file": str(self.path) if self.path else None,
            "entries": len(self.updated_entries() if self.update else self.entries),
            "updated": self.update,
            "known_tests": sum(1 for t in tests if t.outcome == KNOWN),
            "new_checks": new,
            "fixed": [e.label() for e in self.fixed()],
            "expired": [f"{e.label()} (expired {e.expires}; reason: {e.reason})" for e in self.expired()],
        }

    def updated_entries(self) -> list[Entry]:
        """The file ``--update-baseline`` writes: other targets' entries as they are; this target's
        entries that still match (reason, test and expiry kept) and its expired ones (renewing them
        is a person's decision); one new entry per error check firing that none of them covers."""
        kept = [e for i, e in enumerate(self.entries)
                if not e.applies_to(self.target) or i in self.matched or e.expired(self.today)]
        added: dict[str, Entry] = {}
        for nodeid, finding in self.fired:
            check_id = str(finding.get("check_id"))
            if check_id in added or any(e.matches(finding, nodeid, self.target) for e in kept):
                continue
            reason = f"accepted {self.today.isoformat()}: {finding.get('message', '')}"
            added[check_id] = Entry(check=check_id, target=self.target, reason=reason[:300])
        return kept + [added[c] for c in sorted(added)]


def write_baseline(path: Path, entries: list[Entry]) -> None:
    """YAML (or JSON when the file is named ``*.json``), entries in order."""
    data = {"baseline": [e.to_data() for e in entries]}
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = ("# respcheck baseline: known findings that do not fail the run (README: The gate)\n"
                + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
