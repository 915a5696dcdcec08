"""The respcheck pytest plugin (a ``pytest11`` entry point, so it works outside this repo too).

It adds the target options, a marker per capability (a test whose capability the target
does not claim is skipped as "unsupported (not claimed by target X)", never failed), the
``area`` marker, the hypothesis profiles ``smoke`` / ``ci`` / ``nightly``, and the fixtures
suites are written with: ``target``, ``client``, ``models`` and ``conforms``. It is inert
until a test asks for one of those fixtures or carries a capability marker.

Everything a run observed travels with pytest's own reports (``user_properties``), so it
works unchanged under pytest-xdist; exchanges go to one JSONL file per worker in the report
folder, and the controlling process writes the reports at the end.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pytest
from hypothesis import HealthCheck, settings

from respcheck.budget import BudgetExhausted, Spend
from respcheck.config import CAPABILITIES, ConfigError, Target
from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity
from respcheck.judge import judge, judge_latest
from respcheck.profiles import get_profile
from respcheck.selection import TargetOptions, select_target

if TYPE_CHECKING:  # the client (httpx) is imported only when a live test runs
    from respcheck.client import ResponsesClient

FINDINGS_KEY = "respcheck_findings"
BUDGET_KEY = "respcheck_budget"
AREA_KEY = "respcheck_area"
SPEND_KEY = "respcheck_spend"

# How hard hypothesis works per generated-request test: a few examples for a smoke run,
# a fixed-seed handful in CI, many at night.
_SUPPRESS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "smoke", max_examples=3, deadline=None, database=None, derandomize=True, suppress_health_check=_SUPPRESS
)
settings.register_profile(
    "ci", max_examples=12, deadline=None, database=None, derandomize=True, suppress_health_check=_SUPPRESS
)
settings.register_profile(
    "nightly", max_examples=200, deadline=None, database=None, suppress_health_check=_SUPPRESS
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("respcheck", "respcheck: conformance of a Responses API target")
    group.addoption("--target", default=None, help="target name from targets.yaml (default: reference)")
    group.addoption("--targets-file", default=None, help="path to targets.yaml (default: ./targets.yaml)")
    group.addoption("--base-url", default=None, help="ad-hoc target: base URL ending in /v1")
    group.addoption("--api-key-env", default=None, help="ad-hoc target: NAME of the variable holding the key")
    group.addoption("--model", default=None, help="ad-hoc target: model name (overrides the target's)")
    group.addoption("--capabilities", default=None, help="comma-separated capabilities the target claims")
    group.addoption(
        "--profile",
        dest="respcheck_profile",
        default=None,
        help="schema profile(s), comma-separated: openai, openresponses, doc:<relay>",
    )
    group.addoption("--budget-requests", type=int, default=None, help="at most this many requests")
    group.addoption("--budget-output-tokens", type=int, default=None, help="at most this many output tokens")
    group.addoption("--budget-rps", type=float, default=None, help="at most this many requests per second")
    group.addoption(
        "--report-dir",
        dest="respcheck_report_dir",
        default=None,
        help="write exchanges and reports to this folder",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "area(name): the suite area a test belongs to (create, lifecycle...)")
    for capability in CAPABILITIES:
        config.addinivalue_line(
            "markers", f"{capability}: needs the '{capability}' capability; skipped when not claimed"
        )
    if getattr(config, "workerinput", None) is None:
        config.pluginmanager.register(_Collector(config), "respcheck-results")


# -- the target -----------------------------------------------------------------------------------


def resolve_target(config: pytest.Config) -> Target:
    """The target this run tests, from the options (raises ConfigError with one line)."""
    opt = config.getoption
    return select_target(
        TargetOptions(
            target=opt("--target"),
            targets_file=opt("--targets-file"),
            base_url=opt("--base-url"),
            api_key_env=opt("--api-key-env"),
            model=opt("--model"),
            capabilities=opt("--capabilities"),
            profile=opt("respcheck_profile"),
            budget_requests=opt("--budget-requests"),
            budget_output_tokens=opt("--budget-output-tokens"),
            budget_rps=opt("--budget-rps"),
        )
    )


def _target_for(config: pytest.Config) -> Target:
    cached = config.stash.get(_TARGET, None)
    if cached is None:
        try:
            cached = resolve_target(config)
        except (ConfigError, ValueError) as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[_TARGET] = cached
    return cached


_TARGET = pytest.StashKey[Target]()
_RUN = pytest.StashKey["LiveRun"]()
# Every live fixture depends on this one, so it is in the closure of exactly the tests that use
# respcheck's fixtures (a test module with its own ``client`` fixture is left alone).
_ROOT_FIXTURE = "respcheck_run"


def _is_live(item: pytest.Item) -> bool:
    return _ROOT_FIXTURE in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live = [item for item in items if _is_live(item)]
    if not live:
        return
    target = _target_for(config)
    unserved = _unserved_by_reference(target)
    for item in live:
        area = item.get_closest_marker("area")
        item.user_properties.append((AREA_KEY, area.args[0] if area else item.module.__name__))
        for marker in item.iter_markers():
            reason = None
            if marker.name in CAPABILITIES:
                reason = unserved.get(marker.name) or target.unsupported_reason(marker.name)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


def _unserved_by_reference(target: Target) -> dict[str, str]:
    """Capabilities the embedded reference can not serve faithfully under the run's profiles."""
    if not target.embedded:
        return {}
    from respcheck.server.wire import wire_form

    return wire_form(target.profiles).unserved


# -- the live run (one per process) ---------------------------------------------------------------


@dataclass
class LiveRun:
    target: Target
    client: ResponsesClient | None  # set once the target is reachable (the reference server started)
    report_dir: Path | None
    worker: str
    server: Any = None
    current: pytest.Item | None = None
    _exchanges_file: TextIO | None = None

    def record(self, exchange: Exchange) -> None:
        """Every exchange, redacted, to this worker's JSONL (the HAR and repro source)."""
        if self.report_dir is None:
            return
        from respcheck.redact import redact_record
        from respcheck.replay.jsonl import exchange_to_record

        if self._exchanges_file is None:
            self.report_dir.mkdir(parents=True, exist_ok=True)
            self._exchanges_file = open(  # noqa: SIM115  (kept open for the whole run)
                self.report_dir / f"exchanges-{self.worker}.jsonl", "a", encoding="utf-8"
            )
        record = exchange_to_record(exchange)
        record["started_at"] = round(time.time() - (exchange.elapsed or 0.0), 6)  # wall clock, for the HAR
        record["test"] = self.current.nodeid if self.current is not None else None
        record["target"] = self.target.name
        self._exchanges_file.write(json.dumps(redact_record(record), ensure_ascii=False) + "\n")
        self._exchanges_file.flush()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self._exchanges_file is not None:
            self._exchanges_file.close()
        if self.server is not None:
            self.server.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker: hand what this process spent to the controller."""
    run = session.config.stash.get(_RUN, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if run is not None and run.client is not None and workeroutput is not None:
        workeroutput[SPEND_KEY] = run.client.spend.to_dict()


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


@pytest.fixture(scope="session")
def respcheck_run(pytestconfig: pytest.Config) -> Iterator[LiveRun]:
    """The per-process run: the target (the reference server started if chosen) and its client."""
    from respcheck.client import ResponsesClient

    target = _target_for(pytestconfig)
    report_dir = pytestconfig.getoption("respcheck_report_dir")
    run = LiveRun(
        target=target,
        client=None,
        report_dir=Path(report_dir) if report_dir else None,
        worker=_worker_id(pytestconfig),
    )
    try:  # whatever fails from here on, the server started is stopped
        if target.embedded:
            from respcheck.config import REFERENCE_API_KEY, REFERENCE_API_KEY_ENV
            from respcheck.server.run import start_server

            # The embedded server accepts exactly one key, so the no-key / wrong-key tests mean something.
            key = os.environ.setdefault(REFERENCE_API_KEY_ENV, REFERENCE_API_KEY)
            # It speaks the wire form of the run's profile(s) ([DONE] under openresponses...).
            run.server = start_server(api_key=key, profile=target.profiles)
            target = target.with_base_url(run.server.base_url)
            run.target = target
        # The budget is shared by this run's workers (read from xdist, not the environment, which a
        # run started from inside another pytest-xdist run would inherit).
        workers = int((getattr(pytestconfig, "workerinput", None) or {}).get("workercount", 1))
        run.client = ResponsesClient(target, budget=target.budget.split(workers), recorder=run.record)
        pytestconfig.stash[_RUN] = run
        yield run
    finally:
        run.close()


@pytest.fixture(scope="session")
def target(respcheck_run: LiveRun) -> Target:
    return respcheck_run.target


@pytest.fixture(scope="session")
def client(respcheck_run: LiveRun) -> ResponsesClient:
    return respcheck_run.client


@dataclass(frozen=True)
class SuiteModels:
    """The model a test sends for each kind, as the target names it (reasoning, vision: else text)."""

    text: str
    reasoning: str
    vision: str

    @property
    def all(self) -> list[str]:
        """Each distinct model name, sorted."""
        return sorted({self.text, self.reasoning, self.vision})


@pytest.fixture(scope="session")
def models(respcheck_run: LiveRun) -> SuiteModels:
    """Model names as the target calls them: ``.text``, ``.reasoning``, ``.vision``."""
    m = respcheck_run.target.models
    return SuiteModels(text=m.text, reasoning=m.for_("reasoning"), vision=m.for_("vision"))


@pytest.fixture(scope="session")
def conforms(respcheck_run: LiveRun) -> Callable[[Exchange], Exchange]:
    """``conforms(exchange)``: judge it with every check under the target's profiles.

    Error findings fail the test with one line per finding and a curl repro; every finding
    (warnings and info too) goes to the reports. Returns the exchange, for chaining.
    """

    scenario: list[Exchange] = []  # this test's exchanges so far, for the sequence checks
    owner: list[Any] = [None]

    def _conforms(exchange: Exchange) -> Exchange:
        item = respcheck_run.current
        if owner[0] is not item:
            owner[0], scenario[:] = item, []
        scenario.append(exchange)
        findings = judge_all(exchange, respcheck_run.target.profiles)
        findings += judge_latest(scenario, respcheck_run.target.profiles)
        if item is not None:
            item.user_properties.append((FINDINGS_KEY, [dict(f.to_dict(), profile=p) for p, f in findings]))
        errors = [(p, f) for p, f in findings if f.severity is Severity.ERROR]
        if errors:
            pytest.fail(describe_failure(exchange, errors, respcheck_run.target), pytrace=False)
        return exchange

    return _conforms


def judge_all(exchange: Exchange, profiles: tuple[str, ...]) -> list[tuple[str, Finding]]:
    """Findings under every profile, each reported once (the first profile that found it)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for name in profiles:
        for f in judge(exchange, get_profile(name)):
            key = (f.check_id, f.location, f.message)
            if key not in seen:
                seen.add(key)
                out.append((name, f))
    return out


def describe_failure(exchange: Exchange, errors: list[tuple[str, Finding]], target: Target) -> str:
    lines = [
        f"{len(errors)} conformance error(s) in {exchange.request.method} {exchange.request.path} "
        f"-> {exchange.status}:"
    ]
    for profile, f in errors[:20]:
        lines.append(f"  [{profile}] {f.check_id}: {f.message}  (at {f.location})")
    if len(errors) > 20:
        lines.append(f"  ... and {len(errors) - 20} more")
    lines.append("repro: " + repro(exchange, target))
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Findings are attributed to the running test; a budget stop is a skip the run reports."""
    run = item.config.stash.get(_RUN, None)
    if run is not None:
        run.current = item
    try:
        return (yield)
    except BudgetExhausted as exc:
        item.user_properties.append((BUDGET_KEY, str(exc)))
        pytest.skip(str(exc))
    finally:
        if run is not None:
            run.current = None


# -- results, gathered where the reports arrive (the xdist controller, or the only process) --------


class _Collector:
    """Registered only in the controlling process: every test report, then the run's verdict."""

    def __init__(self, config: pytest.Config) -> None:
        from respcheck.results import RunResults

        self.config = config
        self.results = RunResults()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.results.add(report)

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """An xdist worker finished: add what it spent."""
        spent = getattr(node, "workeroutput", {}).get(SPEND_KEY)
        if spent:
            self.results.add_spend(Spend.from_dict(spent))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.results.tests:
            return
        run = self.config.stash.get(_RUN, None)
        if run is not None and run.client is not None:  # tests ran in this process
            self.results.add_spend(run.client.spend)
        report_dir = self.config.getoption("respcheck_report_dir")
        target = self.config.stash.get(_TARGET, None)
        self.results.finish(target, Path(report_dir) if report_dir else None, int(exitstatus))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.results.tests:
            for line in self.results.summary_lines():
                terminalreporter.write_line(line)


def repro(exchange: Exchange, target: Target) -> str:
    """A curl command that replays the request (the key stays in its environment variable)."""
    from respcheck.generate.curl import to_curl

    request = exchange.request
    path = request.path
    base = target.resolved_base_url() or ""
    if base and path.startswith("/v1/") and base.endswith("/v1"):
        path = path[len("/v1") :]
    return to_curl(base, path, request.body, {}, key_env=target.api_key_env)
