"""Findings: what a check says about an exchange."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    """One fault (or remark) a check found in one exchange.

    ``location`` is a JSON pointer into the exchange as recorded, e.g.
    ``/response/body/usage/total_tokens`` or ``/response/events/12/data/sequence_number``.
    ``clause`` names the rule enforced: a spec schema, a doc table row, or a normative rule.
    """

    check_id: str
    severity: Severity
    message: str
    location: str
    clause: str
    exchange_id: str | None = None
    # Schema findings this one explains ("schema.deleted: ..."): kept as evidence, not counted.
    evidence: tuple[str, ...] = ()
    count: int = 1  # how many findings of this check on this exchange this one stands for (fold_repeats)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        if not self.evidence:
            del data["evidence"]
        else:
            data["evidence"] = list(self.evidence)
        if self.count == 1:
            del data["count"]  # the common case stays as it always read
        return data


# More findings than this from one check on one exchange are folded into one (a flood of a million
# bad events is one finding with a count, not a million lines in every report).
FOLD_AFTER = 5
# A folded finding still names the others (every problem of an object is listed), up to this many.
FOLD_NAMES = 50


def fold_repeats(findings: list[Finding]) -> list[Finding]:
    """``findings`` with each check's findings on one exchange folded into one when there are more than
    ``FOLD_AFTER``: the first, its message saying how many more there were, ``count`` the total."""
    by_check: dict[tuple[str, str | None], list[Finding]] = {}
    for finding in findings:
        by_check.setdefault((finding.check_id, finding.exchange_id), []).append(finding)
    if all(len(group) <= FOLD_AFTER for group in by_check.values()):
        return findings
    folded: list[Finding] = []
    for group in by_check.values():
        if len(group) <= FOLD_AFTER:
            folded.extend(group)
            continue
        first, more = group[0], len(group) - 1
        severity = max((f.severity for f in group), key=lambda s: s.rank)
        others = _named(group[1:])
        message = f"{first.message} (and {more} more findings of this check in this exchange: {others})"
        evidence = tuple(e for f in group for e in f.evidence)[:FOLD_AFTER]
        folded.append(replace(first, severity=severity, message=message, count=len(group), evidence=evidence))
    return folded


def _named(others: list[Finding]) -> str:
    """The folded findings' messages, each once with its count, at most ``FOLD_NAMES`` of them."""
    counts: dict[str, int] = {}
    for finding in others:
        counts[finding.message] = counts.get(finding.message, 0) + 1
    named = [m if n == 1 else f"{m} (x{n})" for m, n in list(counts.items())[:FOLD_NAMES]]
    rest = len(counts) - len(named)
    return "; ".join(named) + (f"; and {rest} other messages" if rest > 0 else "")
