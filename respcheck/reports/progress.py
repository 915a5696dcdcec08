"""Progress while a run goes: on a terminal one live line (done/total, the current test, elapsed,
ETA, failures so far, requests spent against the budget), redrawn by rich a few times a second; in
a CI log (not a terminal) a plain line every ``LINE_EVERY`` seconds and one at the end.

Fed by the pytest wiring in the controlling process (so it works the same under ``-n N``): the
number of tests, each test as it starts, each ``TestFinished`` and the requests each process has
spent so far. Cheap by construction: a counter update per test, and drawing at most
``REFRESH_PER_SECOND`` times a second, off the tests' path.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from respcheck.session.events import TestFinished

LIVE, LINES, OFF = "live", "lines", "off"
PROGRESS_MODES = (LIVE, LINES, OFF)
LINE_EVERY = 10.0  # seconds between two plain lines in a CI log
REFRESH_PER_SECOND = 4


def default_mode(stream: TextIO) -> str:
    return LIVE if stream.isatty() else LINES


class Progress:
    def __init__(self, mode: str, budget_requests: int | None = None, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.mode = mode
        self.stream = stream or sys.stdout  # beside pytest's own output; stderr is kept for errors
        self.budget_requests = budget_requests
        self.clock = clock
        self.started = clock()
        self.total = 0
        self.done = 0
        self.failed = 0
        self.current = ""
        self.spent: dict[str, int] = {}  # requests spent so far, per process
        self.last_line = self.started
        self.live: Any = None

    # -- what the pytest wiring tells it --

    def collected(self, total: int) -> None:
        self.total = max(self.total, total)
        if self.mode == LIVE and self.live is None:
            self.live = _start_live(self.stream, self.line)

    def test_started(self, nodeid: str) -> None:
        self.current = nodeid

    def spend(self, worker: str, requests: int) -> None:
        self.spent[worker] = requests

    def test_finished(self, test: TestFinished) -> None:
        self.done += 1
        self.failed += test.outcome == "failed"
        if self.mode == LINES and self.clock() - self.last_line >= LINE_EVERY:
            self.last_line = self.clock()
            self._print(self.line())

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        if self.mode == LINES and self.done:
            self._print(self.line(final=True))

    # -- what it shows --

    def line(self, final: bool = False) -> str:
        elapsed = self.clock() - self.started
        parts = [f"{self.done}/{self.total or '?'} tests", f"{self.failed} failed", f"{_clock(elapsed)} elapsed"]
        if not final and self.done and self.total > self.done:
            parts.append(f"ETA {_clock(elapsed / self.done * (self.total - self.done))}")
        requests = sum(self.spent.values())
        limit = f" of {self.budget_requests}" if self.budget_requests else ""
        parts.append(f"{requests}{limit} requests")
        if not final and self.current:
            parts.append(self.current.rpartition("/")[2][:80])
        return "respcheck: " + " · ".join(parts)

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _start_live(stream: TextIO, render: Callable[[], str]) -> Any:
    """rich's live line on ``stream``, redrawn from ``render`` by rich's own thread; it leaves no
    trace when stopped (pytest's summary follows)."""
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    class _Line:
        def __rich__(self) -> Text:
            return Text(render(), no_wrap=True, overflow="ellipsis")

    live = Live(_Line(), console=Console(file=stream), refresh_per_second=REFRESH_PER_SECOND,
                transient=True, redirect_stdout=False, redirect_stderr=False)
    live.start()
    return live
