"""The selftest's harness: the real suites, run by pytest, against the reference server behind the
fault layer, one fault switched on at a time.

``run_suites`` runs one pytest session in this process over the suite tests that declare a
scenario a fault needs (``@pytest.mark.scenario("delete_then_retrieve")``, its keyword arguments
picking parametrisations). Each such test is parametrised once more, by the fault
(``test_x[id-fault_name]``), and the ``respcheck_fault`` fixture switches that fault on in the
layer while the test runs. What each fault did is read from the run's own events (the session's
``ExchangeJudged`` and ``TestFinished``), which go to ``FaultRun``, a session handler: no output is
parsed, and the suites run exactly as ``respcheck run`` runs them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings

from respcheck.config import Target
from respcheck.faults.layer import FaultLayer
from respcheck.faults.model import Fault
from respcheck.resources import suites_root
from respcheck.session.events import Event, ExchangeJudged, TestFinished
from respcheck.session.session import Handler, Handoff

FAULT_FIXTURE = "respcheck_fault"
SCENARIO_MARK = "mark.scenario("


class HarnessError(RuntimeError):
    """The suites could not be run at all."""


class UnknownScenario(HarnessError):
    """A fault names a scenario no suite test declares."""


def scenarios_of(item: pytest.Item) -> set[str]:
    """The scenario names this test plays: its ``scenario`` marks whose keyword arguments all equal
    the test's parameters (``scenario("create_text_json", kind="text", stream=False)``)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return {
        mark.args[0] for mark in item.iter_markers("scenario")
        if all(k in params and params[k] == v for k, v in mark.kwargs.items())
    }


def fault_id(fault: Fault) -> str:
    """The fault's part of a test id (the baseline's name is a phrase: made one word)."""
    return fault.name if fault.name.isidentifier() else "_".join(fault.name.strip("()").split())


@dataclass
class FaultOutcome:
    """What one fault's tests did, as the run's events said."""

    fault: Fault
    tests: list[TestFinished] = field(default_factory=list)
    exchanges: list[ExchangeJudged] = field(default_factory=list)


class FaultRun:
    """A pytest plugin (the fault parameter, its fixture, the selection and the order) and a session
    handler (``FaultOutcome`` per fault, handed to ``done`` when its last test finished; ``done``
    returning False stops the run: a baseline that is not clean)."""

    name = "selftest"

    def __init__(self, faults: Sequence[Fault], layer: FaultLayer,
                 done: Callable[[FaultOutcome], bool]) -> None:
        self.faults = list(faults)
        self.layer = layer
        self.done = done
        self.fault_of: dict[str, Fault] = {}  # node id -> its fault
        self.left: dict[str, int] = {}  # fault name -> its tests not finished yet
        self.outcomes: dict[str, FaultOutcome] = {f.name: FaultOutcome(f) for f in self.faults}
        self.unknown: list[str] = []  # "fault: scenario" with no suite test
        self.session: pytest.Session | None = None

    # -- pytest --

    @pytest.fixture(autouse=True)
    def respcheck_fault(self, request: pytest.FixtureRequest) -> Iterator[Fault | None]:
        fault: Fault | None = getattr(request, "param", None)
        self.layer.faults = [fault] if fault is not None else []
        try:
            yield fault
        finally:
            self.layer.faults = []

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        """A suite module that declares no scenario has nothing to run here: not even imported."""
        if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
            return SCENARIO_MARK not in collection_path.read_text(encoding="utf-8")
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        declared = {m.args[0] for m in metafunc.definition.iter_markers("scenario")}
        wanted = [f for f in self.faults if declared & set(f.scenarios)]
        if wanted:
            metafunc.parametrize(FAULT_FIXTURE, wanted, ids=[fault_id(f) for f in wanted], indirect=True)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        self.session = session
        order = {f.name: i for i, f in enumerate(self.faults)}
        kept: list[tuple[Fault, pytest.Item]] = []
        dropped = []
        for item in items:
            fault = getattr(getattr(item, "callspec", None), "params", {}).get(FAULT_FIXTURE)
            if isinstance(fault, Fault) and scenarios_of(item) & set(fault.scenarios):
                kept.append((fault, item))
            else:
                dropped.append(item)
        kept.sort(key=lambda pair: order[pair[0].name])  # stable: each fault's tests in suite order
        for fault in self.faults:
            played = set().union(*(scenarios_of(i) for f, i in kept if f is fault))
            self.unknown += [f"{fault.name}: {s}" for s in fault.scenarios if s not in played]
        self.fault_of = {item.nodeid: fault for fault, item in kept}
        self.left = {f.name: sum(1 for g, _ in kept if g is f) for f in self.faults}
        items[:] = [item for _, item in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)

    # -- the session's events --

    def handle(self, event: Event) -> None:
        nodeid = getattr(event, "nodeid", None)
        fault = self.fault_of.get(nodeid) if isinstance(nodeid, str) else None
        if fault is None:
            return
        outcome = self.outcomes[fault.name]
        if isinstance(event, ExchangeJudged):
            outcome.exchanges.append(event)
        elif isinstance(event, TestFinished):
            outcome.tests.append(event)
            self.left[fault.name] -= 1
            if self.left[fault.name] == 0 and not self.done(outcome) and self.session is not None:
                self.session.shouldstop = f"{fault.name}: not clean, so no other result means anything"


def suite_args() -> list[str]:
    """pytest's arguments for the installed suites, whatever the folder it runs in: no ini file or
    cache of the user's, no terminal output (the selftest prints its own table), no hypothesis
    plugin (no hypothesis test runs here; it would write ``.hypothesis/`` where it runs), and one
    test at a time (a fault is switched on for the whole server, not for one test's requests)."""
    root = suites_root()
    return [str(root), "--rootdir", str(root), "-c", os.devnull, "-p", "no:cacheprovider",
            "-p", "no:terminal", "-p", "no:hypothesispytest",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "--concurrency", "1"]  # one test at a time: the fault switched on is the whole server's


def run_suites(run: FaultRun, target: Target, report_dir: Path | None = None,
               outputs: Sequence[Handler] = ()) -> None:
    """One pytest session over the installed suites: ``run``'s faults against ``target`` (the server
    behind ``run.layer``), every event to ``run`` and ``outputs``. Raises UnknownScenario when a
    fault names a scenario no suite test declares."""
    args = suite_args()
    if report_dir is not None:
        args += ["--report-dir", str(report_dir)]  # where each process records its exchanges
    profile = settings.get_current_profile_name()  # the suites' conftest loads theirs: put it back after
    try:
        status = pytest.main(args, plugins=[Handoff(target, outputs=[run, *outputs]), run])
    finally:
        settings.load_profile(profile)
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or run.session is None:
        raise HarnessError(f"pytest could not run the suites (exit {int(status)}; its message is above)")
    if run.unknown:
        raise UnknownScenario("no suite test declares " + "; ".join(run.unknown)
                              + " (@pytest.mark.scenario on the test)")


def collect_scenarios() -> dict[str, list[str]]:
    """Scenario name -> the node ids of the suite tests that play it (collected by pytest)."""
    found: dict[str, list[str]] = {}

    class Collector:
        def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
            for item in items:
                for name in scenarios_of(item):
                    found.setdefault(name, []).append(item.nodeid)

    profile = settings.get_current_profile_name()
    try:
        pytest.main([*suite_args(), "--collect-only"], plugins=[Collector()])
    finally:
        settings.load_profile(profile)
    return found

