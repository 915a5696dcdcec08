"""The terminal: the closing summary of a run (per area, root causes grouped by check, the
baseline's verdict, what changed since the target's last run, spend, verdict).

Progress is pytest's own; this handler keeps the summary's lines for the pytest wiring to print
at the end of pytest's terminal summary.
"""

from __future__ import annotations

import time
from typing import Any

from respcheck.budget import Spend
from respcheck.reports.repros import repro_commands
from respcheck.reports.style import plural
from respcheck.session.repro import repro_text
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
    causes = summary.get("root_causes") or []
    lines += root_cause_lines(causes, summary)
    grouped = {c["check_id"] for c in causes}
    checks = {c: n for c, n in (summary.get("checks") or {}).items() if c not in grouped}
    if checks:
        lines.append("other findings by check:" if grouped else "findings by check:")
        for check_id, n in sorted(checks.items(), key=lambda kv: (-kv[1].get("error", 0), kv[0])):
            cells = ", ".join(f"{n[s]} {s}" for s in ("error", "warning", "info") if n.get(s))
            lines.append(f"  {check_id:<48} {cells}")
    lines += baseline_lines(summary.get("baseline"))
    lines += change_lines(summary.get("changes"), str((summary.get("target") or {}).get("name") or "?"))
    lines.append(str(Spend.from_dict(summary.get("spend") or {})))
    if summary.get("budget_exhausted"):
        lines.append(f"stopped early: {summary['budget_exhausted']}")
    lines.append(f"verdict: {summary['verdict']} (exit {summary['exit_code']})")
    return lines


def root_cause_lines(causes: list[dict[str, Any]], summary: dict[str, Any]) -> list[str]:
    """Failures grouped by check id and distinct message, each with its counts, one example and its
    curl repro (``-v``/``--details`` or the report folder have every test)."""
    if not causes:
        return []
    failed = {t["nodeid"] for t in summary.get("tests") or [] if t.get("outcome") in ("failed", "known")}
    distinct = sum(c["distinct"] for c in causes)
    lines = [f"root causes: {plural(distinct, 'distinct problem')} in {plural(len(failed), 'failing test')}"]
    repros = {str(t.get("nodeid")): repro_commands(t) for t in summary.get("tests") or []}
    for cause in causes:
        known = "  [known: in the baseline]" if cause.get("known") else ""
        lines.append(f"  {cause['check_id']} — {plural(cause['distinct'], 'distinct problem')} in "
                     f"{plural(cause['tests'], 'test')}, {plural(cause['exchanges'], 'exchange')}{known}")
        for i, shown in enumerate(cause["messages"]):
            where = f"  (at {shown['location']})" if shown.get("location") else ""
            lines.append(f"      {shown['message'][:300]}{where}  [{plural(shown['tests'], 'test')}]")
            if i == 0:
                lines.append(f"      e.g. {shown['example_test']}")
                lines += [f"      {line}" for line in repro_text(repros.get(shown["example_test"], [])).splitlines()]
    return lines


def baseline_lines(gate: dict[str, Any] | None) -> list[str]:
    """What the baseline gate decided: known failures accepted, new checks, fixed and expired entries."""
    if not gate:
        return []
    verb = "written to" if gate.get("updated") else "from"
    lines = [f"baseline ({verb} {gate.get('file')}): {gate.get('known_tests', 0)} known failing test(s) "
             f"accepted, {gate.get('entries', 0)} entr{'y' if gate.get('entries') == 1 else 'ies'}"]
    if gate.get("new_checks"):
        lines.append(f"  NEW (not in the baseline, fails the run): {', '.join(gate['new_checks'])}")
    for entry in gate.get("fixed") or []:
        lines.append(f"  fixed (no longer fires; --update-baseline drops it): {entry}")
    for entry in gate.get("expired") or []:
        lines.append(f"  EXPIRED (fails the run; renew its expires or fix it): {entry}")
    return lines


def change_lines(changes: dict[str, Any] | None, target: str) -> list[str]:
    """What changed since the last run of this target (the history handler's ``changes``)."""
    if not changes:
        return []
    previous = changes.get("previous")
    if previous is None:
        return [f"changes: first recorded run of {target}"]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(previous.get("run_at") or 0)))
    parts = [
        (changes.get("new_checks"), "new checks firing"),
        (changes.get("cleared_checks"), "checks no longer firing"),
    ]
    lines = [f"changes since the last run of {target} ({when}, {previous.get('verdict')}):"]
    lines += [f"  {label}: {', '.join(ids)}" for ids, label in parts if ids]
    for tests, label in ((changes.get("newly_failing"), "newly failing"), (changes.get("fixed"), "fixed")):
        if tests:
            lines.append(f"  {label}: {len(tests)} test(s), e.g. {tests[0]}")
    if len(lines) == 1:
        lines[0] += " none"
    return lines
