"""The live side of a run, one per process (each xdist worker, or the only process).

A ``LiveSession`` starts the embedded reference server when the target is it, builds the one
client with this process's share of the budget, records every exchange to this process's
``exchanges-<worker>.jsonl`` (session.recording), judges exchanges, and queues the events it
emits (``outbox``) for the pytest wiring to carry to the Session.

What belongs to the running test (its judged exchanges, error findings and queued events) is kept
per thread (``contextvars`` context), so under ``--concurrency N`` the tests running at once in one
process each see their own; what the process shares (client, budget, recorder) is thread-safe.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from respcheck.checks.policy import CheckPolicy
from respcheck.config import REFERENCE_API_KEY, REFERENCE_API_KEY_ENV, Target
from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity
from respcheck.judge import ScenarioJudge, judge_all
from respcheck.session.events import BudgetState, Event, ExchangeJudged
from respcheck.session.model_params import ParameterRules
from respcheck.session.per_test import PerTest
from respcheck.session.recording import Recorder

if TYPE_CHECKING:
    from respcheck.client import ResponsesClient
    from respcheck.server.run import RunningServer


@dataclass
class _RunningTest:
    scenario: ScenarioJudge | None = None  # its judged exchanges, in order, and the sequence checks' state
    # its error findings (profile, finding), conformance and expectations alike: collected as the
    # scenario goes on, shown together when it ends
    errors: list[tuple[str, Finding]] = field(default_factory=list)
    outbox: list[Event] = field(default_factory=list)  # events not yet carried to the Session


@dataclass
class LiveSession:
    target: Target  # as resolved once by the controller (the embedded server: not started yet)
    report_dir: Path | None
    worker: str = "main"
    workers: int = 1
    concurrency: int = 1  # tests (and requests) under way at once in this process: --concurrency
    client: ResponsesClient | None = None
    server: RunningServer | None = None
    recorder: Recorder | None = None
    policy: CheckPolicy = field(default_factory=CheckPolicy)  # --checks, --exclude-checks, severity
    parameters: ParameterRules | None = None  # what each model accepts (declared, or probed once)
    _running: PerTest[_RunningTest] = field(
        default_factory=lambda: PerTest("respcheck-running-test", _RunningTest), repr=False)

    def _here(self) -> _RunningTest:
        """The test running in this thread (context)."""
        return self._running.get()

    @property
    def scenario(self) -> ScenarioJudge:
        """The running test's judged exchanges, with the sequence checks' state over them."""
        here = self._here()
        if here.scenario is None:
            here.scenario = ScenarioJudge(self.target.profiles)
        return here.scenario

    @property
    def errors(self) -> list[tuple[str, Finding]]:
        """The running test's error findings (profile, finding)."""
        return self._here().errors

    @property
    def outbox(self) -> list[Event]:
        """Events emitted in this thread and not drained yet."""
        return self._here().outbox

    def start(self) -> LiveSession:
        """Start the embedded server if the target is it, then the client; whatever fails, stops."""
        # Imported here, when a live test first needs them: a pytest run that never touches a
        # target (the project's own unit tests) does not load httpx; and only a run against the
        # embedded server loads it (starlette, uvicorn: ~0.1 s of the first test against a relay).
        from respcheck.client import ResponsesClient

        self.recorder = Recorder(self.report_dir, self.worker, self.target.name)
        try:
            if self.target.embedded:
                from respcheck.server.run import start_server

                # The embedded server accepts exactly one key, so the no-key / wrong-key tests mean something.
                key = os.environ.setdefault(REFERENCE_API_KEY_ENV, REFERENCE_API_KEY)
                # It speaks the wire form of the run's profile(s) ([DONE] under openresponses...).
                self.server = start_server(api_key=key, profile=self.target.profiles)
                self.target = self.target.with_base_url(self.server.base_url)
            # The budget is shared by this run's workers.
            self.client = ResponsesClient(self.target, budget=self.target.budget.split(self.workers),
                                          recorder=self.recorder, in_flight=self.concurrency)
            self.parameters = ParameterRules(self.target.unsupported_parameters, self.client.create,
                                             self._report_probe)
        except BaseException:
            self.close()
            raise
        return self

    def running(self, nodeid: str | None) -> None:
        """The test whose requests follow (None between tests): a new scenario."""
        if self.recorder is not None:
            self.recorder.begin(nodeid)
        here = self._here()
        here.scenario, here.errors = None, []

    def conform(self, exchange: Exchange) -> list[tuple[str, Finding]]:
        """Judge the exchange and keep its error findings for the test's end; returns them."""
        errors = [(p, f) for p, f in self.judge(exchange) if f.severity is Severity.ERROR]
        self.errors.extend(errors)
        return errors

    def expected(self, finding: Finding) -> None:
        """A scenario expectation that did not hold: reported like any finding (under the run's check
        policy: --exclude-checks, severities), kept for the test's end when it is an error."""
        profile = self.target.profiles[0]
        self.report([finding], profile)
        self.errors.extend((p, f) for p, f in self.policy.apply_all([(profile, finding)])
                           if f.severity is Severity.ERROR)

    def records(self) -> list[dict[str, Any]]:
        """The running test's exchanges as recorded (what its repro is built from)."""
        return list(self.recorder.current) if self.recorder is not None else []

    def judge(self, exchange: Exchange) -> list[tuple[str, Finding]]:
        """Every finding under the target's profiles, the sequence checks' about this exchange of
        the test's scenario included (each reported once, when the exchange showing it arrives);
        emits ``ExchangeJudged``."""
        findings = judge_all(exchange, self.target.profiles)
        findings += self.scenario.add(exchange)
        findings = self.policy.apply_all(findings)
        self.outbox.append(ExchangeJudged(
            nodeid=self.recorder.test if self.recorder else None, exchange_id=exchange.id,
            findings=[dict(f.to_dict(), profile=p) for p, f in findings],
            elapsed=exchange.elapsed, broken=exchange.broken, notes=list(exchange.notes),
        ))
        return findings

    def report(self, findings: list[Finding], profile: str = "openai") -> None:
        """Findings made outside the check registry (the openai SDK's exceptions, the differential
        checks) go to the reports as the registry's do: one ``ExchangeJudged`` per exchange they are
        about (``sdk`` for the SDK's, which see no exchange of respcheck's)."""
        by_exchange: dict[str, list[Finding]] = {}
        for _, finding in self.policy.apply_all((profile, f) for f in findings):
            by_exchange.setdefault(finding.exchange_id or "sdk", []).append(finding)
        nodeid = self.recorder.test if self.recorder else None
        for exchange_id, found in by_exchange.items():
            data = [dict(f.to_dict(), profile=profile) for f in found]
            self.outbox.append(ExchangeJudged(nodeid=nodeid, exchange_id=exchange_id, findings=data))

    def _report_probe(self, exchange: Exchange, finding: Finding) -> None:
        """A probe's exchange is judged like any other, and what it taught is an info finding."""
        self.judge(exchange)
        self.report([finding])

    def drain(self) -> list[Event]:
        here = self._here()
        events, here.outbox = here.outbox, []
        return events

    def budget_state(self, exhausted: str | None = None) -> BudgetState | None:
        return BudgetState(self.client.spend.to_dict(), exhausted) if self.client is not None else None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.server is not None:
            self.server.stop()


def worker_count(workerinput: dict[str, Any] | None) -> int:
    return int((workerinput or {}).get("workercount", 1))
