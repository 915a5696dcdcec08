"""A run's results: every test's outcome and findings, the verdict, the exit code, the spend.

Fed by pytest's own test reports (so it works the same under pytest-xdist), it writes
``summary.json`` and ``findings.ndjson`` into the report folder and prints the closing
summary. Exit codes: 0 all passed; 1 conformance failures; 2 could not run; 3 a budget was
exhausted before the run finished (and nothing failed).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from respcheck import __version__
from respcheck.budget import Spend
from respcheck.redact import redact_record

# The report folder's files that more than one module names. The report writers are imported only
# when used: they load hypothesis (respcheck.generate), which must not be imported before pytest
# starts (``respcheck run`` imports this module first).
SUMMARY_FILE = "summary.json"
FINDINGS_FILE = "findings.ndjson"
EXCHANGES_FILE = "exchanges.jsonl"

EXIT_OK, EXIT_FAILURES, EXIT_COULD_NOT_RUN, EXIT_BUDGET = 0, 1, 2, 3
UNSUPPORTED_PREFIX = "unsupported"
BUDGET_PREFIX = "budget exhausted"


@dataclass
class TestResult:
    nodeid: str
    area: str = "other"
    outcome: str = "passed"  # passed | failed | unsupported | skipped | budget
    duration: float = 0.0
    message: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)


def _props(report: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for key, value in getattr(report, "user_properties", ()) or ():
        out[key].append(value)
    return out


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason
    return str(longrepr or "")


class RunResults:
    def __init__(self) -> None:
        self.tests: dict[str, TestResult] = {}
        self.started = time.time()
        self.summary: dict[str, Any] | None = None
        self.spend = Spend()

    def add_spend(self, spend: Spend) -> None:
        self.spend = self.spend + spend

    def add(self, report: Any) -> None:
        from respcheck.plugin import AREA_KEY, BUDGET_KEY, FINDINGS_KEY

        props = _props(report)
        if not props.get(AREA_KEY):  # not a conformance test (e.g. the project's own unit tests)
            return
        result = self.tests.setdefault(report.nodeid, TestResult(report.nodeid))
        result.area = props[AREA_KEY][0]
        if props.get(FINDINGS_KEY):  # each phase carries the whole list so far: keep the latest
            result.findings = [f for batch in props[FINDINGS_KEY] for f in batch]
        result.duration += getattr(report, "duration", 0.0) or 0.0
        if report.skipped:
            reason = _skip_reason(report)
            if reason.startswith(UNSUPPORTED_PREFIX):
                result.outcome = "unsupported"
            elif reason.startswith(BUDGET_PREFIX) or props.get(BUDGET_KEY):
                result.outcome = "budget"
            else:
                result.outcome = "skipped"
            result.message = reason
        elif report.failed:
            result.outcome = "failed"
            text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
            if report.when != "call":
                text = f"error in {report.when}: {text}"
            result.message = result.message or text.strip()

    # -- verdict ----------------------------------------------------------------------------------

    def counts(self) -> Counter[str]:
        return Counter(t.outcome for t in self.tests.values())

    def exit_code(self, pytest_status: int = 0) -> int:
        counts = self.counts()
        if counts["failed"]:
            return EXIT_FAILURES
        if counts["budget"]:
            return EXIT_BUDGET
        if pytest_status not in (0, 1, 5):  # interrupted, internal error, usage error
            return EXIT_COULD_NOT_RUN
        return EXIT_OK

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
        for t in self.tests.values():
            if t.outcome == "budget":
                return t.message
        return None

    # -- output -----------------------------------------------------------------------------------

    def finish(self, target: Any, report_dir: Path | None, pytest_status: int) -> dict[str, Any]:
        spend = self.spend
        code = self.exit_code(pytest_status)
        self.summary = {
            "respcheck": __version__,
            "started_at": self.started,
            "finished_at": time.time(),
            "target": _target_dict(target),
            "verdict": {0: "pass", 1: "fail", 2: "error", 3: "budget_exhausted"}[code],
            "exit_code": code,
            "totals": dict(self.counts()),
            "areas": {a: dict(c) for a, c in self.by_area().items()},
            "checks": {c: dict(n) for c, n in self.by_check().items()},
            "spend": spend.to_dict(),
            "budget_exhausted": self.budget_reason(),
            "tests": [vars(t) for t in self.tests.values()],
        }
        if report_dir is not None:
            self._write(report_dir)
        return self.summary

    def _write(self, report_dir: Path) -> None:
        # written first, so the verdict is on disk whatever a report writer does; write_reports
        # writes it again once the history has added what changed since the last run
        report_dir.mkdir(parents=True, exist_ok=True)
        summary = redact_record(self.summary)
        (report_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
        with open(report_dir / FINDINGS_FILE, "w", encoding="utf-8") as out:
            for t in self.tests.values():
                for f in t.findings:
                    row = dict(f, test=t.nodeid, area=t.area, target=summary["target"]["name"])
                    out.write(json.dumps(redact_record(row), ensure_ascii=False) + "\n")
        parts = sorted(report_dir.glob("exchanges-*.jsonl"))  # one per xdist worker (plugin.LiveRun)
        if parts:
            with open(report_dir / EXCHANGES_FILE, "w", encoding="utf-8") as out:
                for part in parts:
                    out.write(part.read_text(encoding="utf-8"))
                    part.unlink()
        from respcheck.reports import write_reports

        write_reports(report_dir, summary)

    def summary_lines(self) -> list[str]:
        if self.summary is None:
            return []
        lines = ["", "respcheck summary"]
        for area, counts in self.by_area().items():
            cells = ", ".join(
                f"{counts[k]} {k}"
                for k in ("passed", "failed", "unsupported", "skipped", "budget")
                if counts[k]
            )
            lines.append(f"  {area:<14} {cells}")
        checks = self.by_check()
        if checks:
            lines.append("findings by check:")
            for check_id, n in sorted(checks.items(), key=lambda kv: (-kv[1]["error"], kv[0])):
                cells = ", ".join(f"{n[s]} {s}" for s in ("error", "warning", "info") if n[s])
                lines.append(f"  {check_id:<48} {cells}")
        lines.append(str(self.spend))
        if self.summary.get("budget_exhausted"):
            lines.append(f"stopped early: {self.summary['budget_exhausted']}")
        lines.append(f"verdict: {self.summary['verdict']} (exit {self.summary['exit_code']})")
        return lines


def _target_dict(target: Any) -> dict[str, Any]:
    if target is None:
        return {"name": "unknown"}
    return {
        "name": target.name,
        "base_url": _shown_url(target),
        "api_key_env": target.api_key_env,
        "profiles": list(target.profiles),
        "capabilities": sorted(target.capabilities),
        "models": {
            "text": target.models.text,
            "reasoning": target.models.reasoning,
            "vision": target.models.vision,
        },
    }


def _shown_url(target: Any) -> str | None:
    """The URL the run sent to, fit to print (no userinfo, secret parameters masked)."""
    if target.embedded:
        return "embedded"
    from respcheck.reports.records import shown_base_url

    url = target.resolved_base_url()  # base_url_env: the address the requests went to
    return shown_base_url({"base_url": url}) if url else None
