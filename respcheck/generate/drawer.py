"""Generated bodies drawn in a helper process, on another core, while the test sends the ones before.

hypothesis draws in pure Python (~0.8 ms a create body), under the same interpreter lock as the client
and the judge: drawn in the test's process, that time adds to every request, whether drawn ahead or
one at a time (a thread cannot overlap it). One helper process per run draws instead. A test asks for
its examples by *recipe*, a picklable call that builds the strategy (a ``functools.partial`` of
``valid_create_requests``); the helper draws them with ``ahead.draw_batches`` under the test's
hypothesis settings and hands back each batch of ``ahead.BATCH`` as soon as it is drawn, so the first
request waits for one batch only.

The helper starts with the test loop when generated tests are selected (``warm``) and ends with it;
a profile of fewer than ``HELPER_FROM`` examples a test draws in process (the helper's start costs more).
If it cannot start or dies, the examples are drawn in the test's process instead (``draw_examples``):
slower, never wrong, never a hang.

It is ``python -m respcheck.generate.drawer``, spoken to over its stdin and stdout with
``multiprocessing.connection`` (length-prefixed pickles), not a ``multiprocessing.Process``: spawn
runs the parent's main script again in the child, which a script without a ``__main__`` guard does
not survive, and fork would copy the run's threads (recorder, watchdog) in whatever state they were in.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from respcheck.generate.ahead import draw_batches, draw_examples

Recipe = Callable[[], st.SearchStrategy[Any]]

# How long a test waits for the helper's next batch before looking whether it is still alive; a batch
# takes ~20 ms, the helper's start (interpreter, imports, the first compile) about a second.
POLL_S = 1.0
# Below this many examples a test, drawing in its own process costs less (~0.8 ms an example) than the
# helper's start (~0.35 s of a core: an interpreter importing hypothesis and the generators): the
# ``smoke`` and ``ci`` profiles (3, 12) draw in process, ``nightly`` (200) in the helper.
HELPER_FROM = 50
# What pickle raises for a recipe it cannot carry (a lambda, a local function): drawn in process then.
_UNPICKLABLE = (pickle.PicklingError, TypeError, AttributeError)
# Settings the helper draws under, read from the test's active profile (the rest are draw_batches').
_SETTINGS = ("max_examples", "derandomize")
# Where the respcheck package is imported from, for the helper's interpreter (a checkout run in place).
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


_BUILT: dict[bytes, st.SearchStrategy[Any]] = {}  # a recipe's pickle -> its strategy, in this process


def built(recipe: Recipe) -> st.SearchStrategy[Any]:
    """``recipe()``, built once per process for equal recipes (~10 ms a create-request strategy); a
    recipe that cannot be pickled is built each time. Partials equal only by identity: the pickle says
    what a recipe builds."""
    try:
        key = pickle.dumps(recipe)
    except _UNPICKLABLE:
        return recipe()
    found = _BUILT.get(key)
    if found is None:
        found = _BUILT[key] = recipe()
    return found


def _worth_a_helper(max_examples: int) -> bool:
    return max_examples >= HELPER_FROM


class DrawFailed(RuntimeError):
    """The strategy raised while the helper drew from it (its message says what and where)."""


class Drawer:
    """One helper process drawing the run's generated examples; thread-safe (``--concurrency``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._jobs: Connection | None = None
        self._routes: dict[int, queue.SimpleQueue[Any]] = {}  # job id -> its batches, as they arrive
        self._ids = itertools.count(1)
        self._failed = False  # the helper could not start or died: draw in process from then on

    def warm(self) -> None:
        """Start the helper now (when the active profile draws enough for it), so it is ready when the
        first generated test asks."""
        if _worth_a_helper(settings().max_examples):
            with self._lock:
                self._start()

    def examples(self, recipe: Recipe) -> Iterator[Any]:
        """The examples of ``recipe()`` under the active hypothesis profile, as the helper draws them
        (in this process, below ``HELPER_FROM`` examples)."""
        chosen = {name: getattr(settings(), name) for name in _SETTINGS}
        job_id = next(self._ids)
        route: queue.SimpleQueue[Any] = queue.SimpleQueue()
        with self._lock:
            sent = (_worth_a_helper(chosen["max_examples"]) and self._start()
                    and self._send((job_id, recipe, chosen), job_id, route))
        if not sent:
            yield from draw_examples(built(recipe))
            return
        given = 0
        try:
            while (batch := self._next(route)) is not None:
                given += len(batch)
                yield from batch
        except _HelperLost:
            # what the helper had not handed over is drawn here (a fresh draw: examples may repeat)
            yield from draw_examples(built(recipe), chosen["max_examples"] - given)
        finally:
            with self._lock:
                self._routes.pop(job_id, None)  # what still comes for it is dropped

    def close(self) -> None:
        """End the helper: it stops when its stdin closes (after the batch it is drawing); killed if it
        has not stopped 2 s later."""
        with self._lock:
            process, jobs, self._process, self._jobs = self._process, self._jobs, None, None
        if process is None or jobs is None:
            return
        jobs.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=2)

    # -- inside -----------------------------------------------------------------------------------

    def _start(self) -> bool:
        """Whether the helper runs (started now if need be); called with the lock held."""
        if self._failed:
            return False
        if self._process is not None:
            return True
        if sys.platform == "win32":  # a Connection over a pipe's file descriptors is POSIX only
            self._failed = True
            return False
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "respcheck.generate.drawer"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environ,
            )
        except OSError:  # no processes here (a sandbox, a limit): draw in process
            self._failed = True
            return False
        assert process.stdin is not None and process.stdout is not None
        self._jobs = Connection(os.dup(process.stdin.fileno()), readable=False)
        batches = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        self._process = process
        threading.Thread(target=self._route, args=(batches,), name="respcheck-draw-route",
                         daemon=True).start()
        return True

    def _send(self, job: tuple[int, Recipe, dict[str, Any]], job_id: int,
              route: queue.SimpleQueue[Any]) -> bool:
        """Hand ``job`` to the helper; False if it is gone, or the recipe cannot be pickled (then the
        test draws in process). Called with the lock held."""
        assert self._jobs is not None
        try:
            message = pickle.dumps(job)
        except _UNPICKLABLE:
            return False
        self._routes[job_id] = route
        try:
            self._jobs.send_bytes(message)
        except OSError:  # the helper died
            self._routes.pop(job_id, None)
            self._failed = True
            return False
        return True

    def _route(self, batches: Connection) -> None:
        """Hand each batch to the job it is for (several tests may wait at once)."""
        with batches:
            while True:
                try:
                    job_id, batch = batches.recv()
                except (EOFError, OSError):  # the helper ended
                    return
                with self._lock:
                    route = self._routes.get(job_id)
                if route is not None:
                    route.put(batch)

    def _next(self, route: queue.SimpleQueue[Any]) -> list[Any] | None:
        """The job's next batch, None when it is done; ``_HelperLost`` if the helper ended."""
        while True:
            try:
                batch = route.get(timeout=POLL_S)
            except queue.Empty:
                with self._lock:
                    if self._process is not None and self._process.poll() is None:
                        continue  # still drawing (or starting)
                    self._failed = True
                raise _HelperLost from None
            if isinstance(batch, DrawFailed):
                raise batch
            return batch


class _HelperLost(Exception):
    """The helper process ended before the job did."""


_DRAWER = Drawer()


def drawer() -> Drawer:
    """The run's one drawer."""
    return _DRAWER


# -- the helper process ---------------------------------------------------------------------------


def serve(jobs: Connection, batches: Connection) -> None:
    """Draw each job ``(id, recipe, settings)`` until ``jobs`` ends, sending ``(id, batch)`` as each
    batch is drawn, then ``(id, None)`` (or ``(id, DrawFailed)``)."""
    while True:
        try:
            job_id, recipe, chosen = jobs.recv()
        except EOFError:
            return
        try:
            draw_batches(built(recipe), None, settings(**chosen), partial(_hand_over, batches, job_id))
        except Exception as exc:  # raised in the test that asked
            batches.send((job_id, DrawFailed(f"{type(exc).__name__}: {exc}")))
        else:
            batches.send((job_id, None))


def _hand_over(batches: Connection, job_id: int, batch: list[Any]) -> None:
    batches.send((job_id, batch))


def main() -> None:  # pragma: no cover  (the helper's entry point; test_generate runs it)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle: it closes the helper
    batches = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # what anything prints goes to stderr, not into the batches
    jobs = Connection(os.dup(0), writable=False)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the run is gone
        serve(jobs, batches)


if __name__ == "__main__":
    # through the module's own name: what the helper pickles (DrawFailed) must unpickle in the run
    from respcheck.generate.drawer import main as helper_main

    helper_main()
