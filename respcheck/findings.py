"""Findings: what a check says about an exchange."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        if not self.evidence:
            del data["evidence"]
        else:
            data["evidence"] = list(self.evidence)
        return data
