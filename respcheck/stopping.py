"""How a run is stopped from outside: Ctrl-C (SIGINT), or SIGTERM (a CI job cancelled or timed out).

Both stop a run as Ctrl-C always did: no new request is sent, the tests under way end, the report of
what ran is written (its verdict "interrupted") and the run exits 130. Python's default SIGTERM
would end the process at once, with no report and, for a tagged run, its target runs left going.

A SIGTERM that comes after the first stop changes nothing: a tagged run sends it to its target runs,
which a terminal's Ctrl-C (sent to the whole process group) may have reached already, and a second
stop in the middle of writing a report would cut it short. A second Ctrl-C still means "stop now".
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise ``KeyboardInterrupt`` in the main thread (a SIGTERM after
    the first stop is ignored). A signal ignored when the run started (a background job of a shell
    without job control ignores SIGINT) stays ignored; outside the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if signum == signal.SIGTERM and stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    previous: dict[signal.Signals, Any] = {}
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is not signal.SIG_IGN:
            previous[signum] = handler
            signal.signal(signum, on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler not set from Python; the default is what a process starts with
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
