"""``respcheck selftest``: the suite's mutation score against the fault catalogue.

The real suites run under pytest (``harness.py``) against the reference server behind the fault
layer, each catalogue entry switched on in turn for the suite tests that declare its scenarios;
every exchange is judged by the whole check registry, as in any run. From the run's events, a
fault is

- **killed** when its declared check fired;
- **killed by another check** when only other checks (or a suite assertion) caught it;
- **survived** when nothing noticed.

A benign variation is **clean** when no error finding appeared and every scenario passed.
A transport fault must also end within its ``bound`` (seconds); the retried ones (429, 503)
must be **absorbed**: the client retries and the scenario passes. A faithful baseline pass
(no fault) runs first: it must be clean, or no other result means anything. The faults judged
under another profile than openai run in a second pytest session, against a server speaking it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from respcheck.config import Retries, Target, Timeouts, reference_target
from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.harness import FaultOutcome, FaultRun, run_suites
from respcheck.faults.layer import FaultLayer
from respcheck.faults.model import Fault
from respcheck.findings import Finding, Severity
from respcheck.reports import file_handlers
from respcheck.server.run import RunningServer, start_server
from respcheck.session.events import Event, ExchangeJudged, RunFinished, RunStarted, TestFinished
from respcheck.session.session import Session

KEY_ENV = "RESPCHECK_SELFTEST_KEY"
DEFAULT_KEY = "sk-respcheck-selftest-local"
# Short enough that every hostile fault ends in seconds, long enough for honest answers.
SHORT_TIMEOUTS = Timeouts(connect=2.0, first_byte=1.0, between_events=1.0, total=3.0)
RETRIES = Retries(max=2, max_wait=1.0)
BASELINE = Fault("(faithful server)", "the reference server with no fault", "benign", None, ())
FIRED = (Severity.ERROR, Severity.WARNING)


@dataclass
class ScenarioRun:
    nodeid: str
    passed: bool
    message: str = ""
    elapsed: float = 0.0
    exchanges: list[str] = field(default_factory=list)  # ids of the exchanges it made

    @classmethod
    def of(cls, test: TestFinished) -> ScenarioRun:
        message = test.message.strip().splitlines()[0][:300] if test.message.strip() else ""
        return cls(test.nodeid, test.outcome == "passed", message, test.duration, list(test.exchanges))


@dataclass
class FaultResult:
    fault: Fault
    verdict: str  # killed | killed by another check | survived | clean | not clean | absorbed | ...
    ok: bool  # meets the acceptance bar for its kind
    detail: str = ""
    elapsed: float = 0.0
    scenarios: list[ScenarioRun] = field(default_factory=list)
    findings: list[tuple[str, str, Finding]] = field(default_factory=list)  # (exchange id, profile, f)
    exchanges: list[ExchangeJudged] = field(default_factory=list)

    @classmethod
    def of(cls, outcome: FaultOutcome) -> FaultResult:
        """The fault's result from its events (not yet classified)."""
        scenarios = [ScenarioRun.of(t) for t in outcome.tests]
        findings = [(ex.exchange_id, f.get("profile", ""), finding_of(f)) for ex in outcome.exchanges
                    for f in ex.findings]
        return cls(outcome.fault, "", False, elapsed=sum(s.elapsed for s in scenarios), scenarios=scenarios,
                   findings=findings, exchanges=list(outcome.exchanges))

    @property
    def measured(self) -> float:
        """What a transport bound is held against: the slowest exchange, from request to its end
        (a retried request: the whole scenario, waits included; judging is never counted)."""
        if self.fault.detected_by is None:
            return sum(s.elapsed for s in self.scenarios)
        return max((ex.elapsed or 0.0 for ex in self.exchanges), default=0.0)

    def fired(self, severities: Iterable[Severity] = FIRED) -> dict[str, Severity]:
        """Check id -> the worst severity it fired with."""
        wanted = set(severities)
        out: dict[str, Severity] = {}
        for _, _, f in self.findings:
            if f.severity in wanted and (f.check_id not in out or f.severity is Severity.ERROR):
                out[f.check_id] = f.severity
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault.name,
            "kind": self.fault.kind,
            "models": self.fault.models,
            "detected_by": self.fault.detected_by,
            "profiles": list(self.fault.profiles),
            "verdict": self.verdict,
            "ok": self.ok,
            "detail": self.detail,
            "elapsed": round(self.elapsed, 3),
            "measured": round(self.measured, 3),
            "bound": self.fault.bound,
            "fired": {k: v.value for k, v in sorted(self.fired().items())},
            "scenarios": [vars(s) for s in self.scenarios],
        }


def finding_of(data: dict[str, Any]) -> Finding:
    """A finding as an event carries it (``Finding.to_dict`` plus its profile)."""
    return Finding(
        check_id=data["check_id"], severity=Severity(data["severity"]), message=data.get("message", ""),
        location=data.get("location", ""), clause=data.get("clause", ""), exchange_id=data.get("exchange_id"),
    )


# -- verdicts ---------------------------------------------------------------------------------------


def classify(result: FaultResult) -> None:
    fault = result.fault
    fired = result.fired()
    errors = sorted(k for k, v in fired.items() if v is Severity.ERROR)
    failed = [s for s in result.scenarios if not s.passed]
    broken = next((ex.broken for ex in result.exchanges if ex.broken), None)
    if fault.kind == "benign":
        result.ok = not errors and not failed
        result.verdict = "clean" if result.ok else "NOT CLEAN"
        result.detail = (
            f"{len([f for f in result.findings if f[2].severity is Severity.ERROR])} error findings: "
            f"{', '.join(errors)}"
            if errors
            else (failed[0].message if failed else "")
        )
        return
    if fault.detected_by is None:  # a transient refusal the client must absorb by retrying
        retried = [n for ex in result.exchanges for n in ex.notes if n.startswith("attempt")]
        result.ok = bool(retried) and not errors and not failed and _within(result)
        result.verdict = "absorbed" if result.ok else "NOT ABSORBED"
        result.detail = retried[0] if retried else (failed[0].message if failed else "no retry seen")
        if not _within(result):
            result.detail += f"; took {result.measured:.1f} s > bound {fault.bound:g} s"
        return
    warned = False  # caught only at warning severity
    killed = fault.detected_by in fired
    if killed:
        warned = fired[fault.detected_by] is Severity.WARNING
        message = next(f.message for _, _, f in result.findings if f.check_id == fault.detected_by)
        result.detail = f"(warning) {message}" if warned else message
    if killed:
        result.verdict = "killed (warning)" if warned else "killed"
    elif errors:
        result.verdict = "killed by another check: " + ", ".join(errors[:4])
    elif failed:
        result.verdict = "killed by a suite assertion"
        result.detail = f"{failed[0].nodeid}: {failed[0].message}"
    else:
        result.verdict = "SURVIVED"
    result.ok = killed and _within(result)
    if broken and fault.kind == "transport":
        result.detail = f"broken: {broken}"
    if not _within(result):
        result.detail += f"; took {result.measured:.1f} s > bound {fault.bound:g} s"


def _within(result: FaultResult) -> bool:
    return result.fault.bound is None or result.measured <= result.fault.bound


# -- the whole run ----------------------------------------------------------------------------------


def select(
    names: Iterable[str] | None = None, fast: bool = False, kinds: Iterable[str] | None = None
) -> list[Fault]:
    chosen = [CATALOGUE[n] for n in names] if names else list(CATALOGUE.values())
    if fast:
        chosen = [f for f in chosen if f.fast or f.kind == "benign"]
    if kinds:
        wanted = set(kinds)
        chosen = [f for f in chosen if f.kind in wanted]
    return chosen


def run_selftest(
    faults: Sequence[Fault],
    progress: Callable[[FaultResult], None] | None = None,
    report_dir: Path | None = None,
    api_key: str | None = None,
    baseline_scenarios: Iterable[str] | None = None,
) -> list[FaultResult]:
    """The baseline (over every scenario the faults use, unless told), then every fault, in the order
    given; a baseline that is not clean stops the run. ``report_dir``: the run's report there."""
    # the key the server requires and the client sends: RESPCHECK_SELFTEST_KEY, or a local one
    key = api_key or os.environ.get(KEY_ENV) or DEFAULT_KEY
    os.environ[KEY_ENV] = key
    scenarios = sorted(set(baseline_scenarios) if baseline_scenarios is not None
                       else {s for f in faults for s in f.scenarios})
    plan = [replace(BASELINE, scenarios=tuple(scenarios)), *faults]
    results: list[FaultResult] = []

    def done(outcome: FaultOutcome) -> bool:
        result = FaultResult.of(outcome)
        classify(result)
        results.append(result)
        if progress is not None:
            progress(result)
        return result.ok or result.fault.name != BASELINE.name

    report: _ReportSession | None = None
    for profiles, batch in by_profiles(plan):
        server, layer = fault_server(key, profiles)
        try:
            target = selftest_target(server.base_url, profiles)
            if report is None and report_dir is not None:
                report = _ReportSession(report_dir, target)
            outputs = [report] if report is not None else []
            run_suites(FaultRun(batch, layer, done), target, report_dir, outputs)
        finally:
            server.stop()
        if results and not results[0].ok:
            break
    if report is not None:
        report.session.finish()
    order = {f.name: i for i, f in enumerate(plan)}
    return sorted(results, key=lambda r: order[r.fault.name])


def by_profiles(plan: Sequence[Fault]) -> list[tuple[tuple[str, ...], list[Fault]]]:
    """The faults grouped by the profiles they are judged under (one server and pytest session
    each), the openai group, with the baseline, first."""
    groups: dict[tuple[str, ...], list[Fault]] = {}
    for fault in plan:
        groups.setdefault(fault.profiles, []).append(fault)
    return list(groups.items())


def fault_server(api_key: str, profiles: tuple[str, ...]) -> tuple[RunningServer, FaultLayer]:
    """The reference server speaking ``profiles``' wire form, behind a fault layer with no fault on."""
    layers: list[FaultLayer] = []

    def wrap(app: Any) -> FaultLayer:
        layers.append(FaultLayer(app))
        return layers[-1]

    server = start_server(api_key=api_key, app_wrapper=wrap, profile=profiles)
    return server, layers[-1]


def selftest_target(base_url: str, profiles: tuple[str, ...]) -> Target:
    """The reference target at ``base_url``, judged under ``profiles``, with short timeouts."""
    name = "selftest" if profiles == ("openai",) else "-".join(("selftest", *profiles))  # exchange ids differ
    return replace(reference_target().with_base_url(base_url), name=name, api_key_env=KEY_ENV,
                   timeouts=SHORT_TIMEOUTS, retries=RETRIES, profiles=profiles)


class _ReportSession:
    """The selftest's report: one run report across its pytest sessions, by the run's own handlers
    (each test is a suite test with its fault: ``test_x[id-fault]``)."""

    name = "report"

    def __init__(self, report_dir: Path, target: Target) -> None:
        report_dir.mkdir(parents=True, exist_ok=True)
        self.session = Session(target, file_handlers(report_dir))
        self.session.start()

    def handle(self, event: Event) -> None:
        if not isinstance(event, RunStarted | RunFinished):  # each pytest session's own: the report's is one
            self.session.emit(event)


# -- the table --------------------------------------------------------------------------------------

COLUMNS = ("fault", "models", "declared check", "result", "time")


def row(result: FaultResult) -> tuple[str, str, str, str, str]:
    fault = result.fault
    declared = fault.detected_by or ("(retry)" if fault.kind == "transport" else "(none: benign)")
    if fault.profiles != ("openai",):
        declared += f" [{','.join(fault.profiles)}]"
    time_cell = f"{result.elapsed:.2f} s"
    if fault.bound is not None:
        time_cell = f"{result.measured:.2f} s / bound {fault.bound:g} s"
    shown = result.detail and (not result.ok or fault.kind == "transport")  # a hostile target: say why
    verdict = result.verdict + (f" — {result.detail}" if shown else "")
    return (fault.name, fault.models, declared, verdict, time_cell)


def table(results: list[FaultResult], width: int = 48) -> str:
    rows = [COLUMNS] + [tuple(_clip(c, width) for c in row(r)) for r in results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(results: list[FaultResult]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row(r)) + " |")
    return "\n".join(lines)


def score(results: list[FaultResult]) -> dict[str, Any]:
    """The figures: contract faults killed by their declared check, benign clean, transport bounded."""
    by_kind: dict[str, list[FaultResult]] = {"contract": [], "transport": [], "benign": []}
    for r in results:
        if r.fault.name != BASELINE.name:
            by_kind[r.fault.kind].append(r)
    return {
        "baseline_clean": bool(results) and results[0].ok,
        "contract": {"total": len(by_kind["contract"]), "killed": sum(r.ok for r in by_kind["contract"])},
        "transport": {"total": len(by_kind["transport"]), "ok": sum(r.ok for r in by_kind["transport"])},
        "benign": {"total": len(by_kind["benign"]), "clean": sum(r.ok for r in by_kind["benign"])},
        "all_ok": bool(results) and all(r.ok for r in results),
    }


def score_line(s: dict[str, Any]) -> str:
    c, t, b = s["contract"], s["transport"], s["benign"]
    pct = 100.0 * c["killed"] / c["total"] if c["total"] else 100.0
    return (
        f"mutation score: {c['killed']}/{c['total']} contract faults killed by their declared check "
        f"({pct:.0f} %); transport {t['ok']}/{t['total']} bounded with a clear finding; "
        f"benign {b['clean']}/{b['total']} clean; baseline {'clean' if s['baseline_clean'] else 'NOT CLEAN'}"
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def write_json(path: Path, results: list[FaultResult]) -> None:
    path.write_text(
        json.dumps({"score": score(results), "results": [r.to_dict() for r in results]}, indent=1) + "\n"
    )
