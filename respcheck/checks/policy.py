"""Which checks a run judges by, and at what severity: ``--checks`` / ``--exclude-checks`` and a
target's ``severity`` map in targets.yaml (``severity: {stream.buffered: off, usage.names: warning}``).

A pattern names check ids as a user types them: an exact id (``usage.names``), a prefix ending at
a dot (``usage`` or ``usage.``: every ``usage.*`` check) or a glob (``stream.*.monotonic``). A
pattern that names no check is a mistake, reported in one line with the closest id. Pure: no I/O.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from respcheck.checks.registry import all_checks
from respcheck.findings import Finding, Severity

OFF = "off"
SEVERITY_LEVELS = (OFF, *(s.value for s in Severity))
# Findings made outside the registry (suites/test_sdk.py's ``sdk.<operation>``, the differential
# suite's ``diff.*``): a pattern naming these families is known, though no registered id matches.
UNREGISTERED_FAMILIES = ("sdk", "diff")


class UnknownCheck(ValueError):
    """A pattern that names no check: one line, ready to print (exit 2)."""


def pattern_matches(pattern: str, check_id: str) -> bool:
    """Whether ``pattern`` (id, dotted prefix or glob) names ``check_id``."""
    stem = pattern.rstrip(".")
    if check_id == stem or check_id.startswith(stem + "."):
        return True
    return any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(check_id, pattern)


def known_ids() -> list[str]:
    return [c.id for c in all_checks()]


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not usable ('names no check', with the closest id), or None."""
    ids = known_ids()
    family = pattern.rstrip(".*").split(".", 1)[0]
    if family in UNREGISTERED_FAMILIES or any(pattern_matches(pattern, i) for i in ids):
        return None
    close = difflib.get_close_matches(pattern, ids, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"names no check{hint} — `respcheck checks` lists them"


def require_known(patterns: Iterable[str], option: str) -> tuple[str, ...]:
    """``patterns`` as given, each one naming at least one check; else ``UnknownCheck``."""
    given = tuple(p.strip() for p in patterns if p.strip())
    for pattern in given:
        problem = pattern_problem(pattern)
        if problem:
            raise UnknownCheck(f"{option}: {pattern!r} {problem}")
    return given


def split_patterns(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``a,b`` or repeated values: the patterns, in order."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else [p for v in value for p in str(v).split(",")]
    return tuple(i.strip() for i in items if i.strip())


@dataclass(frozen=True)
class CheckPolicy:
    """What a run does with each finding: drop it (not selected, or ``off``), or keep it at the
    severity the target sets for its check (the first matching pattern of ``severity`` wins)."""

    include: tuple[str, ...] = ()  # empty: every check
    exclude: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return not (self.include or self.exclude or self.severity)

    def severity_of(self, check_id: str) -> str | None:
        """The level the target sets for this check (``off`` included), or None for the check's own."""
        for pattern, level in self.severity.items():
            if pattern_matches(pattern, check_id):
                return level
        return None

    def selected(self, check_id: str) -> bool:
        if self.include and not any(pattern_matches(p, check_id) for p in self.include):
            return False
        if any(pattern_matches(p, check_id) for p in self.exclude):
            return False
        return self.severity_of(check_id) != OFF

    def apply(self, finding: Finding) -> Finding | None:
        """The finding as this run reports it, or None when its check is not judged here."""
        if self.is_default:
            return finding
        if not self.selected(finding.check_id):
            return None
        level = self.severity_of(finding.check_id)
        if level is None or level == finding.severity.value:
            return finding
        return replace(finding, severity=Severity(level))

    def apply_all(self, findings: Iterable[tuple[str, Finding]]) -> list[tuple[str, Finding]]:
        out = []
        for profile, finding in findings:
            kept = self.apply(finding)
            if kept is not None:
                out.append((profile, kept))
        return out


def severity_problem(severity: Mapping[str, object]) -> tuple[str, str] | None:
    """(the key, why) when a target's ``severity`` map cannot be used (a key naming no check, a
    level that is none of ``SEVERITY_LEVELS``), or None."""
    for pattern, level in severity.items():
        if level not in (*SEVERITY_LEVELS, False):  # YAML 1.1 reads an unquoted ``off`` as false
            return pattern, f"{level!r} is not one of {', '.join(SEVERITY_LEVELS)}"
        problem = pattern_problem(pattern)
        if problem:
            return pattern, problem
    return None
