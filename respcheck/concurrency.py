"""Independent tests at once, in one process: ``--concurrency N`` (README: "Tests at once").

Against a relay whose model takes seconds to answer, a run waits far more than it works: its
~300 requests one after another take minutes. Here up to N tests run at the same time, each in a
thread of this process, through pytest's own phases (``runtestprotocol``: setup, call, teardown and
every plugin's hooks on them), while the rest of pytest sees a sequential run:

- each test's reports reach the reporting hooks (the terminal, respcheck's Session and so every
  report file, pytest's junitxml...) on the main thread, in the collection order, as soon as every
  test before it is done: the reports are the sequential run's, in the same order;
- fixture setup is one at a time (a lock around ``pytest_runtest_setup``), so a session- or
  module-scoped fixture is made once, whichever test asks first; the collectors (session, package,
  module, class) stay set up until the loop ends and each test's own teardown runs when it ends
  (``SharedSetupState``: pytest's ``SetupState`` keeps one stack, i.e. one test at a time);
- pytest's output capture is one global redirection of stdout/stderr, which N tests cannot share:
  while the loop runs it is off, as with ``-s``;
- a test can be made to run alone, nothing else under way: before all the others (``alone_first``:
  e.g. one that cancels a response while it runs, whose cancel must not wait behind other tests'
  requests) or after them (``alone_last``).

Why not a plugin: pytest-xdist's workers are processes (on 2 cores, starting 16 cost more than the
waiting they saved) and it has no thread worker; pytest-run-parallel runs *copies of one test* in
threads (a thread-safety stress tool); pytest-parallel (0.1.1, 2021) forks a process for its threads,
imports the ``py`` library pytest no longer ships, and makes fixtures thread-local, so each thread
would set up its own session fixtures (its own embedded server); pytest-threadpool needs Python 3.13.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import _pytest.runner
import pytest
from _pytest.capture import CaptureManager, MultiCapture
from _pytest.nodes import Node
from _pytest.outcomes import TEST_OUTCOME
from _pytest.runner import SetupState, runtestprotocol

# How often the dispatcher looks at ``ready`` while only one test may run.
_READY_POLL = 0.05

Finalizers = list[Callable[[], object]]


class SharedSetupState(SetupState):
    """pytest's ``SetupState`` for tests running at once: collectors are set up once and shared (kept
    until ``hand_back``), each thread's running test is its own.

    pytest keeps one stack (session, module, test) and tears a module down when the next test is in
    another one; with tests of several modules running at once, that would end a module-scoped
    fixture another thread is still using. Here a module-scoped fixture lives until the loop ends,
    as a session-scoped one does."""

    def __init__(self) -> None:
        super().__init__()  # ``stack``: the collectors set up so far, in order (shared)
        self._lock = threading.RLock()
        self._own = threading.local()  # ``item``: this thread's running test and its finalizers

    def _running(self) -> dict[Node, Finalizers]:
        if not hasattr(self._own, "item"):
            self._own.item = {}
        running: dict[Node, Finalizers] = self._own.item
        return running

    def is_node_active(self, node: Node) -> bool:
        return node in self._running() or node in self.stack

    def setup(self, item: pytest.Item) -> None:
        with self._lock:
            for col in item.listchain()[:-1]:
                if col in self.stack:
                    exc = self.stack[col][1]
                    if exc:
                        raise exc[0].with_traceback(exc[1])
                    continue
                self.stack[col] = ([col.teardown], None)
                try:
                    col.setup()
                except TEST_OUTCOME as exc:
                    self.stack[col] = (self.stack[col][0], (exc, exc.__traceback__))
                    raise
        running = self._running()
        assert not running, "previous item was not torn down properly"
        running[item] = [item.teardown]
        item.setup()

    def addfinalizer(self, finalizer: Callable[[], object], node: Node) -> None:
        running = self._running()
        if node in running:
            running[node].append(finalizer)
            return
        with self._lock:
            assert node in self.stack, (node, self.stack)
            self.stack[node][0].append(finalizer)

    def teardown_exact(self, nextitem: pytest.Item | None) -> None:
        """This thread's test only (the collectors stay: other tests may be using them)."""
        running = self._running()
        exceptions: list[BaseException] = []
        while running:
            _, finalizers = running.popitem()
            while finalizers:
                try:
                    finalizers.pop()()
                except TEST_OUTCOME as exc:
                    exceptions.append(exc)
        if len(exceptions) == 1:
            raise exceptions[0]
        if exceptions:
            raise BaseExceptionGroup("errors during test teardown", exceptions[::-1])

    def hand_back(self, original: SetupState) -> None:
        """Give the collectors to pytest's own state: its session end tears them down, last first."""
        assert not original.stack, "pytest's setup state was in use"
        original.stack.update(self.stack)
        self.stack.clear()


class _SetupOneAtATime:
    """Registered while the loop runs: fixture setup is serialised (shared fixtures are made once)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        with self.lock:
            return (yield)


def run_concurrently(
    session: pytest.Session,
    concurrency: int,
    *,
    alone_first: Callable[[pytest.Item], bool] = lambda item: False,
    alone_last: Callable[[pytest.Item], bool] = lambda item: False,
    ready: Callable[[], bool] = lambda: True,
    on_interrupt: Callable[[], None] = lambda: None,
) -> None:
    """Run ``session.items``, up to ``concurrency`` at once, started in collection order; their reports
    go out in that order. ``alone_first`` tests run one at a time before any other, ``alone_last`` ones
    one at a time after every other; until ``ready()`` only one test runs at a time (respcheck: until
    the target accepted the key). When the loop is interrupted (Ctrl-C), ``on_interrupt()`` is called
    before it waits for the tests under way (respcheck: the client sends nothing more, so they end at
    their next request)."""
    items = session.items
    config = session.config
    original = session._setupstate
    shared = SharedSetupState()
    gate = _SetupOneAtATime()
    capman = config.pluginmanager.getplugin("capturemanager")
    captured = _capture_off(capman)
    config.pluginmanager.register(gate, "respcheck-concurrency-setup")
    session._setupstate = shared
    current_test_var = _pytest.runner._update_current_test_var
    _pytest.runner._update_current_test_var = current_test_var_shared
    try:
        _Loop(session, concurrency, dispatch_order(items, alone_first, alone_last), ready, on_interrupt).run()
    finally:
        _pytest.runner._update_current_test_var = current_test_var
        session._setupstate = original
        shared.hand_back(original)
        config.pluginmanager.unregister(gate)
        if isinstance(capman, CaptureManager):
            capman._global_capturing = captured


Order = tuple[list[int], list[int], list[int]]


_CURRENT_TEST = threading.Lock()


def current_test_var_shared(item: pytest.Item, when: str | None) -> None:
    """pytest's ``PYTEST_CURRENT_TEST`` update, for tests sharing one environment: pytest pops the
    variable when a test ends (a KeyError when another test, ending at the same time, popped it
    first); here the last phase started is shown, and ending one test never fails. Under a lock:
    ``os.environ.pop(name, None)`` looks the name up, then deletes it, and another thread's pop in
    between still made it raise KeyError (a CI run's teardown did)."""
    with _CURRENT_TEST:
        if when:
            os.environ["PYTEST_CURRENT_TEST"] = f"{item.nodeid} ({when})".replace("\x00", "(null)")
        else:
            os.environ.pop("PYTEST_CURRENT_TEST", None)


def dispatch_order(items: Sequence[pytest.Item], alone_first: Callable[[pytest.Item], bool],
                   alone_last: Callable[[pytest.Item], bool]) -> Order:
    """Indexes of the tests to run alone first, at once, alone last: each in collection order."""
    first = [i for i, item in enumerate(items) if alone_first(item)]
    last = [i for i, item in enumerate(items) if alone_last(item) and i not in first]
    placed = {*first, *last}
    return first, [i for i in range(len(items)) if i not in placed], last


def _capture_off(capman: object) -> Any:
    """pytest's global capture swapped for one that captures nothing (as ``-s``); returns the original."""
    if not isinstance(capman, CaptureManager) or capman._global_capturing is None:
        return None
    captured = capman._global_capturing
    capman._global_capturing = MultiCapture(in_=None, out=None, err=None)
    return captured


class _Loop:
    def __init__(self, session: pytest.Session, concurrency: int, order: Order,
                 ready: Callable[[], bool], on_interrupt: Callable[[], None]) -> None:
        self.session = session
        self.on_interrupt = on_interrupt
        self.items = session.items
        self.concurrency = max(1, concurrency)
        self.first: deque[int] = deque(order[0])
        self.together: deque[int] = deque(order[1])
        self.last: deque[int] = deque(order[2])
        self.ready = ready
        self.running: dict[Future[list[pytest.TestReport]], int] = {}
        self.done: dict[int, list[pytest.TestReport]] = {}
        self.released = 0  # every test before this index has had its reports logged

    def run(self) -> None:
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="respcheck-test") as pool:
            try:
                while self.first or self.together or self.last or self.running:
                    if self._stopping():
                        for queue in (self.first, self.together, self.last):
                            queue.clear()
                    self._submit(pool)
                    if self.running:
                        self._collect()
                    self._release()
            except BaseException:  # Ctrl-C, or an internal error: what runs must end soon, not at its end
                self.on_interrupt()
                raise
            finally:
                for future in self.running:  # an interrupt: let the tests under way end
                    future.cancel()
        self._release(skip_missing=True)
        self._raise_if_stopped()

    def _stopping(self) -> bool:
        return bool(self.session.shouldfail or self.session.shouldstop)

    def _submit(self, pool: ThreadPoolExecutor) -> None:
        if self.first:
            if not self.running:
                self._start(pool, self.first.popleft())
            return
        limit = self.concurrency if self.ready() else 1
        while self.together and len(self.running) < limit:
            self._start(pool, self.together.popleft())
        if not self.together and not self.running and self.last:
            self._start(pool, self.last.popleft())

    def _start(self, pool: ThreadPoolExecutor, index: int) -> None:
        item = self.items[index]
        nextitem = self.items[index + 1] if index + 1 < len(self.items) else None
        self.running[pool.submit(runtestprotocol, item, False, nextitem)] = index

    def _collect(self) -> None:
        timeout = None if self.ready() else _READY_POLL
        finished, _ = wait(list(self.running), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in finished:
            index = self.running.pop(future)
            self.done[index] = future.result()  # an internal error (not a test's failure) ends the run

    def _release(self, skip_missing: bool = False) -> None:
        """Log the reports of every finished test whose predecessors are all logged."""
        while self.released < len(self.items):
            index = self.released
            if index in self.done:
                self._log(self.items[index], self.done.pop(index))
            elif not skip_missing:
                return
            self.released += 1

    def _log(self, item: pytest.Item, reports: list[pytest.TestReport]) -> None:
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for report in reports:
            ihook.pytest_runtest_logreport(report=report)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    def _raise_if_stopped(self) -> None:
        if self.session.shouldfail:
            raise self.session.Failed(self.session.shouldfail)
        if self.session.shouldstop:
            raise self.session.Interrupted(self.session.shouldstop)
