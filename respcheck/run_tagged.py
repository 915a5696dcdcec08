"""``respcheck run --tag T``: every target of targets.yaml that carries the tag(s), then one matrix page.

Each target is run as its own ``respcheck run --target NAME`` process: one pytest session per
target, so plugins, hypothesis' state and the budget never leak from one target's run into the
next. Up to ``--parallel-targets`` run at once: a run against a relay mostly waits on the network
(or on the relay's model), so a nightly matrix over many targets need not be the sum of its runs.
Each run writes ``<report-dir>/<target>/`` and its console to ``<report-dir>/<target>.log``; the
matrix page (``respcheck report matrix``) is ``<report-dir>/matrix.html``.

Stopped (Ctrl-C, or SIGTERM: ``respcheck.stopping``), no target run starts any more, those under way are
sent SIGTERM (each stops as on Ctrl-C and writes its report of what ran; one a terminal's Ctrl-C reached
already ignores it), and the matrix page shows what ran; the exit code is 130. A second Ctrl-C ends
the target runs at once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from respcheck.config import ConfigError, load_targets
from respcheck.reports.matrix import MatrixError, build_matrix, default_history
from respcheck.session.tally import (
    EXIT_BUDGET,
    EXIT_COULD_NOT_RUN,
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
)

# The run's exit code is its worst target's, worst first: an interrupted or unrunnable target says
# more about the matrix than a failing one, a failing one more than a budget cut short.
SEVERITY_ORDER = (EXIT_INTERRUPTED, EXIT_COULD_NOT_RUN, EXIT_FAILURES, EXIT_BUDGET, EXIT_OK)


class TaggedRunError(Exception):
    """The tagged run cannot start: one line for the user (exit 2)."""


@dataclass(frozen=True)
class TargetRun:
    name: str
    exit_code: int
    seconds: float
    report_dir: Path
    summary: dict | None  # the run's summary.json, when it wrote one
    started: bool = True  # False: the tagged run was stopped before this target's run began

    def line(self) -> str:
        """One line for the console: verdict, counts, time, where the report is."""
        if not self.started:
            return f"{self.name}: not run (the tagged run was stopped before it began)"
        if self.summary is None:
            return (f"{self.name}: could not run (exit {self.exit_code}) in {self.seconds:.0f} s — "
                    f"see {self.report_dir.parent / (self.name + '.log')}")
        totals = ", ".join(f"{n} {kind}" for kind, n in self.summary.get("totals", {}).items() if n)
        verdict = self.summary.get("verdict", "?")
        return f"{self.name}: {verdict} ({totals or 'no tests'}) in {self.seconds:.0f} s — {self.report_dir}"


def tagged_targets(targets_file: str | None, tags: Sequence[str]) -> list[str]:
    """The names of the targets carrying every one of ``tags``, in targets.yaml's order."""
    try:
        config = load_targets(targets_file)
    except ConfigError as exc:
        raise TaggedRunError(str(exc)) from None
    names = [name for name, target in config.targets.items() if set(tags) <= set(target.tags)]
    if not names:
        known = sorted({tag for target in config.targets.values() for tag in target.tags})
        raise TaggedRunError(
            f"--tag {' --tag '.join(tags)}: no target in {config.path} carries "
            f"{'it' if len(tags) == 1 else 'all of them'} — tags in use: {', '.join(known) or 'none'}"
        )
    return names


def worst(codes: Sequence[int]) -> int:
    return next((code for code in SEVERITY_ORDER if code in codes), max(codes, default=EXIT_OK))


def child_command(name: str, report_dir: Path, forwarded: Sequence[str]) -> list[str]:
    """``respcheck run`` for one target, from the same interpreter as this one."""
    return [sys.executable, "-m", "respcheck", "run", "--target", name, "--report-dir", str(report_dir),
            *forwarded]


class TargetRuns:
    """The target runs under way, so that stopping the tagged run reaches each of them once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopping = False

    def wait_for(self, command: list[str], log_path: Path) -> int | None:
        """Run ``command`` with its output in ``log_path`` and wait for it: its exit code, or None when
        the tagged run was stopped before it could begin."""
        with self._lock:
            if self._stopping:
                return None
            with open(log_path, "w", encoding="utf-8") as log:
                child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            self._running.add(child)
        try:
            return child.wait()
        finally:
            with self._lock:
                self._running.discard(child)

    def stop(self) -> None:
        """No run begins from now on; those under way are sent SIGTERM, which stops one as Ctrl-C does."""
        with self._lock:
            self._stopping = True
            for child in self._running:
                child.send_signal(signal.SIGTERM)  # nothing if it has ended

    def kill(self) -> None:
        """End the runs under way at once (a second Ctrl-C)."""
        with self._lock:
            self._stopping = True
            for child in self._running:
                child.kill()


def run_one(name: str, root: Path, forwarded: Sequence[str], runs: TargetRuns) -> TargetRun:
    report_dir = root / name
    started = time.monotonic()
    code = runs.wait_for(child_command(name, report_dir, forwarded), root / f"{name}.log")
    if code is None:
        return TargetRun(name, EXIT_INTERRUPTED, 0.0, report_dir, None, started=False)
    summary_file = report_dir / "summary.json"
    summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else None
    return TargetRun(name, code, time.monotonic() - started, report_dir, summary)


def run_tagged(
    tags: Sequence[str],
    targets_file: str | None,
    root: Path,
    forwarded: Sequence[str],
    parallel: int = 1,
    say: Callable[[str], None] = print,
) -> int:
    """Run every tagged target (``forwarded``: the other ``respcheck run`` options, as arguments),
    write the matrix page; returns the worst target's exit code (130 when the tagged run was stopped)."""
    if parallel < 1:
        raise TaggedRunError(f"--parallel-targets: {parallel} — pass 1 or more")
    names = tagged_targets(targets_file, tags)
    if parallel > 1 and "--update-baseline" in forwarded:
        # Each run rewrites the one baseline file, keeping the other targets' entries: two at once
        # would each drop what the other wrote.
        say("--update-baseline: the targets run one at a time (each rewrites the same baseline file)")
        parallel = 1
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    say(f"{len(names)} targets tagged {', '.join(tags)}: {', '.join(names)} ({parallel} at a time)")
    finished: dict[str, TargetRun] = {}
    children = TargetRuns()
    stopped = False

    def report(futures: Sequence[Future[TargetRun]]) -> None:
        for future in as_completed(futures):  # each target's line as soon as it is done
            done = future.result()
            if done.name not in finished:
                say(done.line())
                finished[done.name] = done

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        pending = [pool.submit(run_one, name, root, forwarded, children) for name in names]
        try:
            report(pending)
        except KeyboardInterrupt:
            stopped = True
            children.stop()
            say("stopped: no target run begins now; those under way stop and write their reports "
                "(Ctrl-C again ends them at once)")
            try:
                report(pending)  # those that ended before are not said again
            except KeyboardInterrupt:
                children.kill()
                raise
    runs = [finished[name] for name in names]  # the matrix's columns in targets.yaml's order
    reported = [r.report_dir for r in runs if r.summary is not None]  # a run not started has none
    if reported:
        try:
            page = build_matrix(reported, root / "matrix.html", default_history(reported))
        except MatrixError as exc:
            say(f"matrix: not written ({exc})")
        else:
            say(f"matrix: {page}")
    return EXIT_INTERRUPTED if stopped else worst([r.exit_code for r in runs])
