"""``respcheck selftest``: the suite's mutation score against the fault catalogue.

One reference server runs behind the fault layer with the per-request fault header allowed
(one per wire form: a fault judged under openresponses meets a server that speaks it).
For each catalogue entry, the entry's scenarios (real suite tests, called directly with a
client whose requests carry ``X-Respcheck-Fault: <name>``) run against it; every exchange is
judged by the whole check registry. A fault is

- **killed** when its declared check fired (or, for a behaviour fault, its declared suite
  test failed);
- **killed by another check** when only other checks (or other assertions) caught it;
- **survived** when nothing noticed.

A benign variation is **clean** when no error finding appeared and every scenario passed.
A transport fault must also end within its ``bound`` (seconds); the retried ones (429, 503)
must be **absorbed**: the client retries and the scenario passes. A faithful baseline pass
(no fault) runs first: it must be clean, or no other result means anything.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from respcheck.client import ResponsesClient
from respcheck.config import Retries, Target, Timeouts, reference_target
from respcheck.exchange import Exchange
from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.layer import FAULT_HEADER, FaultLayer
from respcheck.faults.model import Fault
from respcheck.faults.scenarios import Case, cases
from respcheck.findings import Finding, Severity
from respcheck.judge import judge_all, judge_latest
from respcheck.plugin import SuiteModels
from respcheck.reports import file_handlers
from respcheck.scenario import Expect, ScenarioStopped
from respcheck.server.run import RunningServer, start_server
from respcheck.session.events import TestFinished
from respcheck.session.recording import Recorder
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


@dataclass
class FaultResult:
    fault: Fault
    verdict: str  # killed | killed by another check | survived | clean | not clean | absorbed | ...
    ok: bool  # meets the acceptance bar for its kind
    detail: str = ""
    elapsed: float = 0.0
    scenarios: list[ScenarioRun] = field(default_factory=list)
    findings: list[tuple[str, str, Finding]] = field(default_factory=list)  # (exchange id, profile, f)
    exchanges: list[Exchange] = field(default_factory=list)

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


class Selftest:
    """One reference server behind the fault layer; ``run(fault)`` measures one entry."""

    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        recorder: Callable[[str, Exchange], None] | None = None,
        timeouts: Timeouts = SHORT_TIMEOUTS,
    ) -> None:
        self.api_key = api_key
        self.recorder = recorder
        # One server per wire form (the reference speaks the profile a fault is judged by, e.g.
        # [DONE] under openresponses); the openai one serves every other fault.
        self.servers: dict[tuple[str, ...], RunningServer] = {}
        self.server = self.server_for(("openai",))
        self.base = replace(
            reference_target().with_base_url(self.server.base_url),
            name="selftest",
            api_key_env=KEY_ENV,
            timeouts=timeouts,
            retries=RETRIES,
        )

    def server_for(self, profiles: tuple[str, ...]) -> RunningServer:
        if profiles not in self.servers:
            self.servers[profiles] = start_server(
                api_key=self.api_key,
                app_wrapper=lambda app: FaultLayer(app, allow_header=True),
                profile=profiles,
            )
        return self.servers[profiles]

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> Selftest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def target_for(self, fault: Fault) -> Target:
        headers = {} if fault is BASELINE else {FAULT_HEADER: fault.name}
        url = self.server_for(fault.profiles).base_url
        return replace(self.base.with_base_url(url), headers=headers, profiles=fault.profiles)

    def run(self, fault: Fault, scenarios: Iterable[str] | None = None) -> FaultResult:
        target = self.target_for(fault)
        recorded: list[Exchange] = []
        judged: dict[int, list[tuple[str, Finding]]] = {}
        scenario: list[Exchange] = []  # the running case's exchanges, for the sequence checks

        def judge_once(ex: Exchange) -> list[tuple[str, Finding]]:
            if id(ex) not in judged:
                at = next((i for i, seen in enumerate(scenario) if seen is ex), None)
                in_case = scenario[: at + 1] if at is not None else [ex]
                judged[id(ex)] = judge_all(ex, target.profiles) + judge_latest(in_case, target.profiles)
            return judged[id(ex)]

        collected: list[Finding] = []  # the running case's error findings (the suites' conforms: go on)
        expected: list[tuple[str, str, Finding]] = []  # (exchange id, profile, finding) from ``expect``

        def conforms(ex: Exchange) -> Exchange:
            collected.extend(f for _, f in judge_once(ex) if f.severity is Severity.ERROR)
            return ex

        def record_expected(finding: Finding) -> None:
            expected.append((finding.exchange_id or "", target.profiles[0], finding))
            collected.append(finding)

        expect = Expect(record=record_expected, skip=_skip)

        selected = [c for s in (scenarios if scenarios is not None else fault.scenarios) for c in cases(s)]
        started = time.monotonic()
        runs = []
        current: list[str] = [""]

        def record(ex: Exchange) -> None:
            recorded.append(ex)
            scenario.append(ex)
            if self.recorder is not None:
                self.recorder(f"{current[0]}@{fault.name}", ex)

        models = SuiteModels.of(target)  # what the suites' ``models`` fixture gives them
        with ResponsesClient(target, recorder=record, environ={KEY_ENV: self.api_key}) as client:
            for case in selected:
                current[0] = case.nodeid
                scenario.clear()
                collected.clear()
                first = len(recorded)
                runs.append(_run_case(case, client, models, conforms, expect, record_expected, collected))
                for ex in recorded[first:]:  # judged while the case's sequence is at hand
                    judge_once(ex)
                runs[-1].exchanges = [ex.id for ex in recorded[first:]]
        elapsed = time.monotonic() - started
        findings = [(ex.id, p, f) for ex in recorded for p, f in judge_once(ex)] + expected
        result = FaultResult(
            fault, "", False, elapsed=elapsed, scenarios=runs, findings=findings, exchanges=recorded
        )
        classify(result)
        return result


def _run_case(
    case: Case, client: Any, models: Any, conforms: Callable[[Exchange], Exchange], expect: Expect,
    record: Callable[[Finding], None], collected: list[Finding],
) -> ScenarioRun:
    """A case as the plugin runs a test: its findings collected, failed at its end if it has any."""
    started = time.monotonic()
    try:
        case(client=client, models=models, conforms=conforms, expect=expect)
    except ScenarioStopped as exc:
        record(exc.finding)
    except Exception as exc:  # a failed scenario is a result, whatever it raised
        return ScenarioRun(case.nodeid, False, failure_message(exc), time.monotonic() - started)
    if collected:
        message = "; ".join(f"{f.check_id}: {f.message}" for f in collected[:3])
        return ScenarioRun(case.nodeid, False, message[:300], time.monotonic() - started)
    return ScenarioRun(case.nodeid, True, "", time.monotonic() - started)


def _skip(reason: str) -> None:
    raise ScenarioSkipped(reason)


class ScenarioSkipped(Exception):
    """``expect`` found the model cannot answer (it echoes): the reference's model never does."""


def failure_message(exc: BaseException) -> str:
    """One line: the exception, and for a bare ``assert`` the suite line that failed."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, AssertionError):
        frame = next(
            (f for f in reversed(traceback.extract_tb(exc.__traceback__)) if "/suites/" in f.filename), None
        )
        if frame is not None:
            message += f" at suites/{Path(frame.filename).name}:{frame.lineno}: {(frame.line or '').strip()}"
    return message[:300]


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
    if fault.behaviour:
        hit = [s for s in failed if s.nodeid.startswith(fault.detected_by)]
        killed = bool(hit)
        result.detail = hit[0].message if hit else ""
    else:
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
    faults: list[Fault], selftest: Selftest, progress: Callable[[FaultResult], None] | None = None
) -> list[FaultResult]:
    """The baseline, then every fault; a baseline that is not clean stops the run."""
    scenarios = sorted({s for f in faults for s in f.scenarios})
    baseline = selftest.run(BASELINE, scenarios)
    results = [baseline]
    if progress:
        progress(baseline)
    if not baseline.ok:
        return results
    for fault in faults:
        result = selftest.run(fault)
        results.append(result)
        if progress:
            progress(result)
    return results


class SelftestRun:
    """A selftest with an optional report folder: ``with SelftestRun(dir) as run: run.run(faults)``.

    The report is a run report like ``respcheck run`` writes (summary.json, findings.ndjson,
    exchanges.jsonl, exchanges.har, index.html), one test per (scenario, fault).
    """

    def __init__(self, report_dir: Path | None = None, api_key: str | None = None) -> None:
        # the key the server requires and the client sends: RESPCHECK_SELFTEST_KEY, or a local one
        api_key = api_key or os.environ.get(KEY_ENV) or DEFAULT_KEY
        self.report_dir = Path(report_dir) if report_dir is not None else None
        self.recorder = Recorder(self.report_dir, "selftest", "selftest")
        self.results: list[FaultResult] = []
        self.selftest = Selftest(api_key, recorder=self._record if self.report_dir else None)

    def run(
        self, faults: list[Fault], progress: Callable[[FaultResult], None] | None = None
    ) -> list[FaultResult]:
        self.results = run_selftest(faults, self.selftest, progress)
        return self.results

    def _record(self, test: str, exchange: Exchange) -> None:
        self.recorder.test = test
        self.recorder(exchange)

    def __enter__(self) -> SelftestRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.selftest.close()
        self.recorder.close()
        if self.report_dir is not None and self.results:
            write_report(self.report_dir, self.results, self.selftest.base)


def write_report(report_dir: Path, results: list[FaultResult], target: Target) -> None:
    """The results as a run report (one test per scenario and fault), by the run's own handlers."""
    session = Session(target, [*file_handlers(report_dir)])
    session.start()
    for result in results:
        by_exchange: dict[str, list[dict[str, Any]]] = {}
        for exchange_id, profile, f in result.findings:
            by_exchange.setdefault(exchange_id, []).append(dict(f.to_dict(), profile=profile))
        for scenario in result.scenarios:
            session.emit(TestFinished(
                f"{scenario.nodeid}@{result.fault.name}",
                area=f"selftest:{result.fault.kind}",
                outcome="passed" if scenario.passed else "failed",
                duration=scenario.elapsed,
                message=scenario.message,
                findings=[f for ex in scenario.exchanges for f in by_exchange.get(ex, [])],
                exchanges=scenario.exchanges,
            ))
    session.finish()


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
        if r.fault is not BASELINE:
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
