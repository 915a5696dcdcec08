"""respcheck.stopping: SIGTERM stops a run as Ctrl-C does, once; a signal ignored at start stays ignored.

Run in a child interpreter: a mistake here would otherwise end the test session itself."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.test_run import REPO

SCRIPT = """
import os, signal, time
from respcheck.stopping import stop_on_signals

before = signal.getsignal(signal.SIGTERM)
seen = []
with stop_on_signals():
    for sent in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGINT):
        try:
            os.kill(os.getpid(), sent)
            time.sleep(0.3)  # the handler runs in between
            seen.append(sent.name + ": nothing")
        except KeyboardInterrupt:
            seen.append(sent.name + ": stop")
print(seen, signal.getsignal(signal.SIGTERM) is before)
"""


def _run(ignore_sigint: bool = False) -> str:
    def ignore() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job of a shell without job control

    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=REPO,
                          timeout=60, preexec_fn=ignore if ignore_sigint else None)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_sigterm_stops_once_then_only_ctrl_c_stops_again_and_the_handlers_are_put_back() -> None:
    assert _run() == "['SIGTERM: stop', 'SIGTERM: nothing', 'SIGINT: stop', 'SIGINT: stop'] True"


def test_a_sigint_ignored_at_start_stays_ignored() -> None:
    assert _run(ignore_sigint=True) == ("['SIGTERM: stop', 'SIGTERM: nothing', 'SIGINT: nothing', "
                                        "'SIGINT: nothing'] True")
