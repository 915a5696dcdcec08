"""The terminal: the closing summary of a run (per area, findings by check, spend, verdict).

Progress is pytest's own; this handler keeps the summary's lines for the pytest wiring to print
at the end of pytest's terminal summary.
"""

from __future__ import annotations

from typing import Any

from respcheck.budget import Spend
from respcheck.session.session import FinishHandler
from respcheck.session.tally import OUTCOMES


class TerminalSummary(FinishHandler):
    name = "terminal summary"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, summary: dict[str, Any]) -> None:
        self.lines = summary_lines(summary)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    lines = ["", "respcheck summary"]
    for area, counts in (summary.get("areas") or {}).items():
        cells = ", ".join(f"{counts[k]} {k}" for k in OUTCOMES if counts.get(k))
        lines.append(f"  {area:<14} {cells}")
    checks = summary.get("checks") or {}
    if checks:
        lines.append("findings by check:")
        for check_id, n in sorted(checks.items(), key=lambda kv: (-kv[1].get("error", 0), kv[0])):
            cells = ", ".join(f"{n[s]} {s}" for s in ("error", "warning", "info") if n.get(s))
            lines.append(f"  {check_id:<48} {cells}")
    lines.append(str(Spend.from_dict(summary.get("spend") or {})))
    if summary.get("budget_exhausted"):
        lines.append(f"stopped early: {summary['budget_exhausted']}")
    lines.append(f"verdict: {summary['verdict']} (exit {summary['exit_code']})")
    return lines
