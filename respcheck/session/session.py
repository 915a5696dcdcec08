"""The Session: where a run's events arrive (the xdist controller, or the only process).

It folds every event into the verdict (``Tally``) and hands it to each output handler in order.
A handler that fails (a full disk, a locked history) is reported on stderr in one line and does
not stop the others: the verdict is already decided. ``finish`` returns the exit code.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from respcheck.config import Target
from respcheck.redact import redact_text
from respcheck.session.baseline import Gate, write_baseline
from respcheck.session.events import Event, RunFinished, RunStarted, TestFinished
from respcheck.session.tally import Tally
from respcheck.session.target import identity


class Handler(Protocol):
    """One output of a run (``respcheck.reports``): it sees every event, in order."""

    name: str

    def handle(self, event: Event) -> None: ...


@dataclass(eq=False)  # hashable by identity: pytest keeps its plugins in a set
class Handoff:
    """What ``respcheck run`` hands to pytest (as a plugin object): the target it resolved once,
    and where the Session's exit code comes back."""

    target: Target
    exit_code: int | None = None
    lost: list[str] = field(default_factory=list)  # why the target stopped answering, if it did
    # The handlers the run's events go to instead of the report folder's (the selftest: one report
    # across its runs, and its verdicts read from the events); None: the report folder's.
    outputs: list[Handler] | None = None


class Session:
    def __init__(self, target: Target | None, handlers: Sequence[Handler] = (),
                 gate: Gate | None = None) -> None:
        self.target = target
        self.handlers = list(handlers)
        self.gate = gate  # --baseline: a failure it accepts is "known", and does not fail the run
        self.tally = Tally()
        self.exit_code: int | None = None
        self.started = False

    def start(self) -> None:
        if not self.started:
            self.started = True
            self.emit(RunStarted(target=identity(self.target), started_at=time.time()))

    def emit(self, event: Event) -> None:
        if self.gate is not None and isinstance(event, TestFinished):
            self.gate.classify(event)  # before anyone sees the test: every output reads the same outcome
        self.tally.apply(event)
        for handler in self.handlers:
            try:
                handler.handle(event)
            except Exception as exc:  # one output that cannot be written must not hide the others
                print(f"respcheck: could not write {handler.name}: {type(exc).__name__}: "
                      f"{redact_text(str(exc))}", file=sys.stderr)

    def finish(self, could_not_finish: bool = False, lost: str | None = None,
               interrupted: bool = False) -> int:
        """The verdict: emits ``RunFinished`` (the handlers write their files) and returns the exit code.
        ``lost``: why the target stopped answering mid-run (exit 2); ``interrupted``: Ctrl-C (exit 130)."""
        self.start()
        gate = self.gate
        code = self.tally.exit_code(could_not_finish, lost, gate_fails=gate is not None and gate.fails_run(),
                                    interrupted=interrupted)
        self.exit_code = code
        summary = self.tally.summary(code, lost)
        if gate is not None:
            if gate.update and gate.path is not None:
                write_baseline(gate.path, gate.updated_entries())
            summary["baseline"] = gate.verdict(self.tally.tests.values())
        self.emit(RunFinished(summary=summary, exit_code=code))
        return code


class FinishHandler:
    """A handler that writes its output once, from the verdict (``RunFinished.summary``)."""

    name = "output"

    def handle(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self.write(event.summary)

    def write(self, summary: dict[str, Any]) -> None:
        raise NotImplementedError
