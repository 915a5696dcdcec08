"""The respcheck pytest plugin (a ``pytest11`` entry point, so it works outside this repo too).

The pytest wiring of a run; the run itself is ``respcheck.session``. It adds the options
(``respcheck.options``), a marker per capability (a test whose capability the target does not
claim is skipped as "unsupported (not claimed by target X)", never failed), the ``area``
marker, the hypothesis profiles ``smoke`` / ``ci`` / ``nightly``, and the fixtures suites are
written with: ``target``, ``client``, ``models``, ``conforms`` and ``expect``. It is inert until a test asks
for one of those fixtures or carries a capability marker.

- The target is resolved once, in the controlling process (or handed over by ``respcheck
  run``), and sent to every xdist worker as data (``workerinput``); workers never resolve it.
- Each process has a ``LiveSession`` (server, client, recorder, judge). The events it emits
  ride in pytest's own test reports (``user_properties``), so they cross the xdist boundary as
  data; the controlling process turns the reports into ``TestFinished`` events for the
  ``Session``, whose handlers (respcheck.reports) write every output once, whichever way the
  suites were started (``respcheck run`` or ``pytest --target X --report-dir D``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

from respcheck.budget import BudgetExhausted
from respcheck.checks.policy import CheckPolicy, UnknownCheck, require_known, split_patterns
from respcheck.concurrency import run_concurrently
from respcheck.config import CAPABILITIES, MODEL_ROLES, ConfigError, Target, unnamed_role_reason
from respcheck.coverage_first import (
    LIVE_PHASES,
    capped_examples,
    coverage_order,
    fair_share,
    generated_left,
    is_generated,
)
from respcheck.exchange import KEY_REFUSED_PREFIX, Exchange, KeyRefused, TargetUnreachable
from respcheck.generate.drawer import drawer
from respcheck.options import OPTIONS, target_values
from respcheck.reports import file_handlers
from respcheck.reports.progress import OFF, PROGRESS_MODES, Progress
from respcheck.reports.terminal import TerminalSummary
from respcheck.resources import suites_root
from respcheck.scenario import Expect, ScenarioStopped
from respcheck.selection import TargetOptions, select_target
from respcheck.server.wire import wire_form
from respcheck.session.baseline import BaselineError, Gate, load_baseline
from respcheck.session.events import (
    BudgetState,
    Event,
    ExchangeJudged,
    TestFinished,
    event_from_data,
    to_data,
)
from respcheck.session.failure import describe_findings
from respcheck.session.live import LiveSession, worker_count
from respcheck.session.model_params import ParameterRules
from respcheck.session.session import Handler, Handoff, Session
from respcheck.session.target import identity, target_from_json, target_to_json

if TYPE_CHECKING:
    from respcheck.client import ResponsesClient

EVENTS_KEY = "respcheck_events"
AREA_KEY = "respcheck_area"
BUDGET_KEY = "respcheck_budget"
CAPPED_KEY = "respcheck_capped"  # a generated test drew fewer examples than its profile: the budget's share
SPEND_KEY = "respcheck_spend"  # (worker, requests spent so far): the progress line's spend
TARGET_INPUT = "respcheck_target"  # workerinput: the target as JSON
TARGET_ERROR_INPUT = "respcheck_target_error"  # workerinput: why it could not be resolved
UNREACHABLE_PREFIX = "target unreachable"

# How hard hypothesis works per generated-request test: a few examples for a smoke run,
# a fixed-seed handful in CI, many at night.
_SUPPRESS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]
# No shrink or explain phase (LIVE_PHASES): against a live target each example is a request.
settings.register_profile(
    "smoke", max_examples=3, deadline=None, database=None, derandomize=True, suppress_health_check=_SUPPRESS,
    phases=LIVE_PHASES,
)
settings.register_profile(
    "ci", max_examples=12, deadline=None, database=None, derandomize=True, suppress_health_check=_SUPPRESS,
    phases=LIVE_PHASES,
)
settings.register_profile(
    "nightly", max_examples=200, deadline=None, database=None, suppress_health_check=_SUPPRESS,
    phases=LIVE_PHASES,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("respcheck", "respcheck: conformance of a Responses API target")
    for option in OPTIONS:
        if option.is_flag:
            group.addoption(option.flag, dest=option.dest, action="store_true", default=None,
                            help=option.help)
        else:
            group.addoption(option.flag, dest=option.dest, type=option.type, default=None, help=option.help)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "area(name): the suite area a test belongs to (create, lifecycle...)")
    config.addinivalue_line("markers", "scenario(name, **params): a stable name the selftest's faults pick "
                            "this test by (params: only the parametrisations with these values)")
    config.addinivalue_line("markers", "serial: under --concurrency, runs alone, before the others (its "
                            "requests must not wait behind theirs, or it changes what they see)")
    for capability in CAPABILITIES:
        config.addinivalue_line(
            "markers", f"{capability}: needs the '{capability}' capability; skipped when not claimed"
        )
    if getattr(config, "workerinput", None) is None:
        config.pluginmanager.register(_Controller(config), "respcheck-session")
    if _asks_for_a_run(config) and config.args_source is not pytest.Config.ArgsSource.ARGS:
        # ``pytest --target X`` with no paths: the installed suites (no --pyargs needed)
        config.args = [str(suites_root())]


def _asks_for_a_run(config: pytest.Config) -> bool:
    return any(config.getoption(o.dest) is not None for o in OPTIONS)


# -- the target: resolved once --------------------------------------------------------------------

_TARGET = pytest.StashKey[Target]()
_LIVE = pytest.StashKey[LiveSession]()
# Every live fixture depends on this one, so it is in the closure of exactly the tests that use
# respcheck's fixtures (a test module with its own ``client`` fixture is left alone).
_ROOT_FIXTURE = "respcheck_live"


def handoff_of(config: pytest.Config) -> Handoff | None:
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, Handoff)), None)


def resolve_target(config: pytest.Config) -> Target:
    """The target from the command-line options (raises ConfigError with one line)."""
    return select_target(TargetOptions(**target_values(lambda o: config.getoption(o.dest))))


def target_of(config: pytest.Config) -> Target:
    """The run's target: handed over by ``respcheck run``, sent by the xdist controller, or (in the
    controlling process) resolved from the options, once."""
    cached = config.stash.get(_TARGET, None)
    if cached is not None:
        return cached
    workerinput = getattr(config, "workerinput", None) or {}
    handoff = handoff_of(config)
    if handoff is not None:
        cached = handoff.target
    elif TARGET_INPUT in workerinput:
        cached = target_from_json(workerinput[TARGET_INPUT])
    elif TARGET_ERROR_INPUT in workerinput:
        raise pytest.UsageError(workerinput[TARGET_ERROR_INPUT])
    else:
        try:
            cached = resolve_target(config)
        except (ConfigError, ValueError) as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[_TARGET] = cached
    return cached


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller: send each worker the target as data (an unusable one as its error,
    raised only if the worker runs a live test)."""
    try:
        node.workerinput[TARGET_INPUT] = target_to_json(target_of(node.config))
    except pytest.UsageError as exc:
        node.workerinput[TARGET_ERROR_INPUT] = str(exc)


def _is_live(item: pytest.Item) -> bool:
    return _ROOT_FIXTURE in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live = [item for item in items if _is_live(item)]
    if not live:
        return
    items[:] = coverage_order(items)  # every area's scenarios before any generated test
    target = target_of(config)
    unserved = _unserved_by_reference(target)
    for item in live:
        area = item.get_closest_marker("area")
        module = getattr(item, "module", None)
        name = area.args[0] if area else getattr(module, "__name__", "other")
        item.user_properties.append((AREA_KEY, name))
        for marker in item.iter_markers():
            reason = None
            if marker.name in CAPABILITIES:
                reason = unserved.get(marker.name) or target.unsupported_reason(marker.name)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


def _unserved_by_reference(target: Target) -> dict[str, str]:
    """Capabilities the embedded reference can not serve faithfully under the run's profiles."""
    return wire_form(target.profiles).unserved if target.embedded else {}


# -- tests at once (--concurrency N, respcheck.concurrency) ----------------------------------------

# Against a remote target most of a run is waiting for answers: this many tests wait at once by default.
REMOTE_CONCURRENCY = 16


def _distributed(config: pytest.Config) -> bool:
    """An xdist run: a worker, or the controller of -n N (each worker is a process of its own)."""
    return getattr(config, "workerinput", None) is not None or getattr(config.option, "dist", "no") != "no"


def concurrency_of(config: pytest.Config) -> int:
    """How many tests may run at once in this process: --concurrency, else 16 against a remote target
    and 1 against the embedded server (measured: on the reference server the run is CPU-bound, and
    threads only add switching)."""
    given = config.getoption("respcheck_concurrency")
    if given is not None and given < 1:
        raise pytest.UsageError(f"--concurrency: {given} is not a number of tests — pass 1 or more")
    if _distributed(config):
        if given is not None and given > 1:
            raise pytest.UsageError("--concurrency runs tests at once in one process, -n in several: "
                                    "choose one")
        return 1
    if given is not None:
        return int(given)
    return 1 if target_of(config).embedded else REMOTE_CONCURRENCY


def _is_serial(item: pytest.Item) -> bool:
    """Marked ``serial``: it runs alone, before the others (e.g. a cancel that must reach a running
    response at once, not after other tests' requests)."""
    return item.get_closest_marker("serial") is not None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """With --concurrency N > 1: the tests run up to N at once (pytest's own loop otherwise)."""
    config = session.config
    if config.option.collectonly or (session.testsfailed and not config.option.continue_on_collection_errors):
        return None  # pytest's own loop says so
    if not any(_is_live(item) for item in session.items):
        return None
    concurrency = concurrency_of(config)
    if concurrency <= 1:
        return None
    # under a request cap a generated test's share is what the tests before it left (coverage_first):
    # the generated tests then run one at a time after all the others, in order
    limited = target_of(config).budget.requests is not None

    def key_accepted() -> bool:  # until then one test at a time: a refused key stops the run at once
        live = config.stash.get(_LIVE, None)
        return live is not None and live.client is not None and live.client.key_accepted

    def interrupted() -> None:  # the tests under way stop at their next request
        live = config.stash.get(_LIVE, None)
        if live is not None and live.client is not None:
            live.client.interrupt()

    run_concurrently(session, concurrency, alone_first=_is_serial,
                     alone_last=lambda item: limited and is_generated(item), ready=key_accepted,
                     on_interrupt=interrupted)
    return True


@pytest.hookimpl(specname="pytest_runtestloop", wrapper=True)
def pytest_runtestloop_with_a_frozen_heap(session: pytest.Session) -> Iterator[None]:
    """While live tests run, what exists before them (modules, collected items, compiled schemas)
    stays out of the cyclic garbage collector's passes (``gc.freeze``): it lives for the whole run,
    and each full pass over it cost ~60 ms, several times per thousand requests."""
    live = not session.config.option.collectonly and any(_is_live(item) for item in session.items)
    if live:
        gc.collect()
        gc.freeze()
    try:
        return (yield)
    finally:
        if live:
            gc.unfreeze()


@pytest.hookimpl(specname="pytest_runtestloop", wrapper=True)
def pytest_runtestloop_with_a_drawer(session: pytest.Session) -> Iterator[None]:
    """When generated tests will run, the helper process that draws their bodies starts with the loop
    (``generate.drawer``: it is ready when the first of them asks) and ends with it."""
    generated = not session.config.option.collectonly and any(
        _is_live(item) and is_generated(item) for item in session.items)
    if generated:
        drawer().warm()
    try:
        return (yield)
    finally:
        if generated:
            drawer().close()


# -- the live side (one per process) --------------------------------------------------------------


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


def report_dir_of(config: pytest.Config) -> Path | None:
    given = config.getoption("respcheck_report_dir")
    return Path(given).resolve() if given else None


def check_policy(config: pytest.Config, target: Target) -> CheckPolicy:
    """What this run judges by: --checks, --exclude-checks and the target's severity map."""
    try:
        include = require_known(split_patterns(config.getoption("respcheck_checks")), "--checks")
        exclude = require_known(split_patterns(config.getoption("respcheck_exclude_checks")),
                                "--exclude-checks")
    except UnknownCheck as exc:
        raise pytest.UsageError(str(exc)) from None
    return CheckPolicy(include=include, exclude=exclude, severity=dict(target.severity))


def gate_of(config: pytest.Config, target: Target) -> Gate | None:
    """The baseline gate of --baseline (None without it); an unusable file is a usage error."""
    given = config.getoption("respcheck_baseline")
    update = bool(config.getoption("respcheck_update_baseline"))
    if not given:
        if update:
            raise pytest.UsageError("--update-baseline: name the file to write with --baseline FILE")
        return None
    path = Path(given).resolve()
    try:
        entries = [] if update and not path.exists() else load_baseline(path)
    except BaselineError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Gate(entries, target=target.name, path=path, update=update)


@pytest.fixture(scope="session")
def respcheck_live(pytestconfig: pytest.Config) -> Iterator[LiveSession]:
    """This process's live session: the target (the reference server started if chosen), its client."""
    target = target_of(pytestconfig)
    live = LiveSession(
        target=target,
        report_dir=report_dir_of(pytestconfig),
        worker=_worker_id(pytestconfig),
        workers=worker_count(getattr(pytestconfig, "workerinput", None)),
        concurrency=concurrency_of(pytestconfig),
        policy=check_policy(pytestconfig, target),
    ).start()
    pytestconfig.stash[_LIVE] = live
    try:
        yield live
    finally:
        live.close()


@pytest.fixture(scope="session")
def concurrency(respcheck_live: LiveSession) -> int:
    """How many requests a scenario may have under way at once when its requests are independent
    (the generated examples): ``--concurrency``, 1 by default against the embedded server."""
    return respcheck_live.concurrency


@pytest.fixture(scope="session")
def target(respcheck_live: LiveSession) -> Target:
    return respcheck_live.target


@pytest.fixture(scope="session")
def client(respcheck_live: LiveSession) -> ResponsesClient:
    assert respcheck_live.client is not None
    return respcheck_live.client


class SuiteModels:
    """The model a test sends for each role, as the target names it. A test that reads a role the
    target does not name (``models.reasoning`` with no reasoning model) is unsupported, with that
    reason; ``accepting`` / ``rejected`` say what a model takes (``respcheck.session.model_params``)."""

    def __init__(self, target: Target, parameters: ParameterRules | None = None) -> None:
        self._target = target
        self._parameters = parameters

    def _role(self, role: str) -> str:
        name = self._target.models.for_(role)
        if name is None:
            pytest.skip(unnamed_role_reason(role, self._target.name))
        return name

    @property
    def text(self) -> str:
        return self._role("text")

    @property
    def reasoning(self) -> str:
        return self._role("reasoning")

    @property
    def vision(self) -> str:
        return self._role("vision")

    @property
    def all(self) -> list[str]:
        """Each distinct model name the target names, sorted."""
        return sorted({name for role in MODEL_ROLES if (name := self._target.models.for_(role))})

    def rejected(self, model: str) -> frozenset[str]:
        """The parameters ``model`` rejects (declared, or learned from one probe each): never send them."""
        return self._parameters.rejected(model) if self._parameters is not None else frozenset()

    def accepting(self, model: str, *params: str) -> str:
        """``model``, when it accepts every one of ``params``; else the test is unsupported, saying which."""
        for param in params:
            if self._parameters is not None and not self._parameters.accepts(model, param):
                pytest.skip(self._parameters.reason(model, param))
        return model

    def __repr__(self) -> str:
        return f"SuiteModels({self._target.models!r})"


@pytest.fixture(scope="session")
def models(respcheck_live: LiveSession) -> SuiteModels:
    """Model names as the target calls them: ``.text``, ``.reasoning``, ``.vision``."""
    return SuiteModels(respcheck_live.target, respcheck_live.parameters)


@pytest.fixture(scope="session")
def conforms(respcheck_live: LiveSession) -> Callable[[Exchange], Exchange]:
    """``conforms(exchange)``: judge it with every check under the target's profiles.

    Error findings are collected and the scenario goes on; the test fails at its end with every
    finding it collected (one message, a repro per exchange). Every finding (warnings and info
    too) goes to the reports. Returns the exchange, for chaining.
    """

    def _conforms(exchange: Exchange) -> Exchange:
        respcheck_live.conform(exchange)
        return exchange

    return _conforms


@pytest.fixture
def expect(respcheck_live: LiveSession) -> Expect:
    """``expect(check_id, holds, message, exchange)``: a scenario expectation under a registered
    scenario check (``respcheck checks``); a miss is a finding, collected like ``conforms``'."""
    return Expect(record=respcheck_live.expected, skip=pytest.skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Requests are attributed to the running test, whose findings are shown together at its end;
    a budget stop is a skip the run reports; a target that stopped answering stops the run (one
    line, no traceback)."""
    live = item.config.stash.get(_LIVE, None)
    if live is not None:
        live.running(item.nodeid)
    share = None
    if live is not None and live.client is not None and is_generated(item):
        # a generated test gets its share of what the scenarios left, so the next one is not starved
        share = fair_share(live.client.budget.remaining_requests(), generated_left(item.session.items, item))
    lost = stopped = None
    try:
        with capped_examples(item, share) as capped:
            if capped is not None:
                item.user_properties.append((CAPPED_KEY, capped))
            yield
    except BudgetExhausted as exc:
        item.user_properties.append((BUDGET_KEY, str(exc)))
        pytest.skip(str(exc))
    except TargetUnreachable as exc:
        lost = f"{UNREACHABLE_PREFIX}: {exc}"
    except KeyRefused as exc:
        lost = str(exc)
    except ScenarioStopped as exc:
        stopped = str(exc)
        if live is not None:
            live.expected(exc.finding)
    except Exception as exc:  # a scenario that broke on an answer after collecting findings
        if live is None or not live.errors:
            raise
        stopped = one_line(exc)
    finally:
        failure = _failure_of(item, live, stopped) if live is not None else None
        if live is not None:
            live.running(None)
    if lost:
        item.session.shouldstop = lost  # outside the except: the failure is this one line, no chain
        pytest.fail(lost, pytrace=False)
    if failure:
        pytest.fail(failure, pytrace=False)
    if stopped:
        pytest.fail(stopped, pytrace=False)


def _failure_of(item: pytest.Item, live: LiveSession, stopped: str | None) -> str | None:
    if not live.errors:
        return None
    return describe_findings(live.errors, live.records(), identity(target_of(item.config)), stopped)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The events this phase emitted ride in its report (a new list: pytest shares the item's)."""
    report = yield
    live = item.config.stash.get(_LIVE, None)
    events = live.drain() if live is not None else []
    if events:
        report.user_properties = [*report.user_properties, (EVENTS_KEY, [to_data(e) for e in events])]
    if live is not None and live.client is not None and call.when == "teardown":  # for the progress line
        spent = (_worker_id(item.config), live.client.spend.requests)
        report.user_properties = [*report.user_properties, (SPEND_KEY, spent)]
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker: hand what this process spent to the controller, as an event."""
    live = session.config.stash.get(_LIVE, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    state = live.budget_state() if live is not None else None
    if state is not None and workeroutput is not None:
        workeroutput[EVENTS_KEY] = [to_data(state)]


# -- the controlling process: reports become events for the Session -------------------------------


def _props(report: pytest.TestReport) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, value in report.user_properties or ():
        out.setdefault(key, []).append(value)
    return out


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr or "")


def fold_phase(test: TestFinished, report: pytest.TestReport, budget_stop: bool) -> None:
    """One phase's report (setup, call, teardown) folded into the test's outcome."""
    test.duration += report.duration or 0.0
    if report.skipped:
        reason = _skip_reason(report)
        test.message = reason
        if reason.startswith("unsupported"):
            test.outcome = "unsupported"
        elif reason.startswith("budget exhausted") or budget_stop:
            test.outcome = "budget"
        else:
            test.outcome = "skipped"
    elif report.failed:
        test.outcome = "failed"
        text = (report.longreprtext or "").strip()
        if report.when != "call":
            text = f"error in {report.when}: {text}"
        test.message = test.message or text


class _Controller:
    """Registered only in the controlling process: the Session and its handlers."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.terminal = TerminalSummary()
        self.session: Session | None = None
        self.running: dict[str, TestFinished] = {}
        self.lost = ""  # why the target stopped answering, as the first test that met it said
        self.progress: Progress | None = None

    def _session(self) -> Session:
        if self.session is None:
            report_dir = report_dir_of(self.config)
            handlers: list[Handler] = [*file_handlers(report_dir)] if report_dir is not None else []
            if report_dir is not None:
                report_dir.mkdir(parents=True, exist_ok=True)
            handoff = handoff_of(self.config)
            if handoff is not None and handoff.outputs is not None:
                handlers = list(handoff.outputs)
            target = target_of(self.config)
            check_policy(self.config, target)  # a pattern naming no check: one line, before any test
            self.session = Session(target, [*handlers, self.terminal], gate=gate_of(self.config, target))
            self.session.start()
        return self.session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = _props(report)
        if not props.get(AREA_KEY):  # not a conformance test (e.g. the project's own unit tests)
            return
        session = self._session()
        test = self.running.get(report.nodeid)
        if test is None:
            test = self.running[report.nodeid] = TestFinished(report.nodeid, area=props[AREA_KEY][0])
        for batch in props.get(EVENTS_KEY, []):
            for data in batch:
                event = event_from_data(data)
                if isinstance(event, ExchangeJudged):
                    test.findings += [dict(f, exchange_id=event.exchange_id) for f in event.findings]
                    test.exchanges.append(event.exchange_id)
                session.emit(event)
        fold_phase(test, report, bool(props.get(BUDGET_KEY)))
        if test.outcome == "passed" and props.get(CAPPED_KEY):  # passed, on fewer examples: say so
            test.message = test.message or props[CAPPED_KEY][0]
        if self.progress is not None:
            for worker, requests in props.get(SPEND_KEY, []):
                self.progress.spend(worker, requests)
        if report.failed and test.message.startswith((UNREACHABLE_PREFIX, KEY_REFUSED_PREFIX)):  # any worker
            self.lost = self.lost or test.message.splitlines()[0]
        if report.when == "teardown":
            finished = self.running.pop(report.nodeid)
            session.emit(finished)
            if self.progress is not None:
                self.progress.test_finished(finished)

    # -- the progress line (respcheck.reports.progress), when asked for --

    def _start_progress(self, total: int) -> None:
        mode = self.config.getoption("respcheck_progress") or OFF
        if mode not in PROGRESS_MODES:
            raise pytest.UsageError(f"--progress: {mode!r} is not one of {', '.join(PROGRESS_MODES)}")
        if mode == OFF:
            return
        if self.progress is None:
            self.progress = Progress(mode, budget_requests=target_of(self.config).budget.requests)
        self.progress.collected(total)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if any(_is_live(item) for item in session.items):
            self._start_progress(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._start_progress(len(ids))

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if self.progress is not None:
            self.progress.test_started(nodeid)

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config
                                 ) -> Generator[None, Any, Any]:
        """With the progress line on, pytest's dots are left out (the line says it all)."""
        status = yield
        if self.progress is not None and status:
            return (status[0], "", "")
        return status

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """An xdist worker finished: its budget state."""
        for data in getattr(node, "workeroutput", {}).get(EVENTS_KEY, []):
            self._emit_if_started(event_from_data(data))

    def _emit_if_started(self, event: Event) -> None:
        if self.session is not None:
            self.session.emit(event)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.progress is not None:
            self.progress.close()
        live = self.config.stash.get(_LIVE, None)  # tests ran in this process (no xdist)
        if self.session is None:
            if exitstatus != pytest.ExitCode.INTERRUPTED or live is None:
                return
            # stopped before any test finished, once requests could go out: the report says so, with
            # the exchanges sent and the spend (a slow target's first tests can take minutes)
            self._session()
            assert self.session is not None
        state = live.budget_state() if live is not None else None
        if isinstance(state, BudgetState):
            self.session.emit(state)
        if exitstatus != pytest.ExitCode.INTERRUPTED:
            for test in list(self.running.values()):  # a worker that crashed mid-test
                self.session.emit(test)
        self.running.clear()  # interrupted: a test under way did not finish, so it is not in the report
        lost = self.lost
        handoff = handoff_of(self.config)
        if lost and handoff is not None:
            handoff.lost.append(lost)
        code = self.session.finish(int(exitstatus) not in (0, 1, 5), lost or None,
                                   interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
        if handoff is not None:
            handoff.exit_code = code
        if self.session.gate is not None:  # plain pytest: known failures do not fail the run either
            session.exitstatus = code

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line in self.terminal.lines:
            terminalreporter.write_line(line)
