"""The typed events of a run. Each is plain data (``to_data`` / ``event_from_data``), so a pytest-xdist
worker sends its events to the controller inside pytest's own test reports, and a handler never
needs to know which process an event came from.

Order within a run: ``RunStarted``; per test ``TestStarted``, any number of ``ExchangeJudged``,
``TestFinished``; ``BudgetState`` once per process that sent requests; ``RunFinished`` last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass
class RunStarted:
    kind: ClassVar[str] = "run_started"
    target: dict[str, Any]  # session.target.identity
    started_at: float


@dataclass
class TestStarted:
    __test__: ClassVar[bool] = False  # not a pytest test class
    kind: ClassVar[str] = "test_started"
    nodeid: str


@dataclass
class ExchangeJudged:
    """One exchange a test sent, judged: its findings (each a Finding dict plus its ``profile``), and
    how the exchange went (seconds it took, why it broke, the client's notes such as its retries)."""

    kind: ClassVar[str] = "exchange_judged"
    nodeid: str | None
    exchange_id: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float | None = None
    broken: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class TestFinished:
    """A test's outcome: passed | failed | unsupported | skipped | budget."""

    __test__: ClassVar[bool] = False  # not a pytest test class
    kind: ClassVar[str] = "test_finished"
    nodeid: str
    area: str = "other"
    outcome: str = "passed"
    duration: float = 0.0
    message: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[str] = field(default_factory=list)  # ids of the exchanges the findings are about


@dataclass
class BudgetState:
    """What one process spent (``budget.Spend.to_dict``) and why it stopped, if it did."""

    kind: ClassVar[str] = "budget_state"
    spend: dict[str, int]
    exhausted: str | None = None


@dataclass
class RunFinished:
    """The verdict. ``summary`` is ``summary.json``'s content; handlers that run before others may
    add to it (the history handler adds ``changes``), which is why handlers run in a fixed order."""

    kind: ClassVar[str] = "run_finished"
    summary: dict[str, Any]
    exit_code: int


Event = RunStarted | TestStarted | ExchangeJudged | TestFinished | BudgetState | RunFinished
_KINDS: dict[str, type[Any]] = {
    cls.kind: cls for cls in (RunStarted, TestStarted, ExchangeJudged, TestFinished, BudgetState, RunFinished)
}


def to_data(event: Event) -> dict[str, Any]:
    return {"kind": event.kind, **asdict(event)}


def event_from_data(data: dict[str, Any]) -> Event:
    fields = dict(data)
    cls = _KINDS[fields.pop("kind")]
    event: Event = cls(**fields)
    return event
