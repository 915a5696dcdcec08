"""The one check registry: every check is a small pure function registered with a stable id.

A check function takes ``(exchange, ctx)`` and yields ``Violation``s; the registry turns
them into ``Finding``s carrying the check's id, clause and (default) severity. The CLI
(``respcheck checks``), replay, the pytest plugin and the reports all read this registry.

A *sequence* check (``scope="sequence"``) judges the ordered exchanges of one scenario (a live
test, or one recording file): what shows only across calls, a retrieve against its create, a
cancel against the running response. It is a ``SequenceState`` class: made once per scenario, it
``see``s each exchange in order, keeping what it needs of the earlier ones, so a live test judges
each new exchange against that state instead of reading all the earlier ones again. Each
violation names the exchange it is about (``Violation.exchange``, an index into the sequence); the
finding carries that exchange's id.

A *scenario* check (``scope="scenario"``, registered with ``scenario_check``) has no function: what
it expects depends on the scenario's intent ("this prompt asked to recall teal"), which no
exchange shows, so a suite test records its finding through the ``expect`` fixture
(``scenario_finding`` builds it). It is listed, baselined and reported like any other check;
replay cannot find it (the recording does not know the intent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity

if TYPE_CHECKING:
    from respcheck.profiles import Profile


@dataclass(frozen=True, slots=True)
class Violation:
    """What a check function yields: the registry adds id, clause and default severity.

    ``severity`` overrides the check's default for this one violation (a profile that
    requires what another tolerates says so here, e.g. ``stream.done_marker``).
    """

    message: str
    at: str = ""
    severity: Severity | None = None
    exchange: int | None = None  # sequence checks: the index of the exchange it is about
    clause: str | None = None  # the rule this violation breaks, when it is narrower than the check's


@dataclass(slots=True)
class CheckContext:
    """What a check may know besides the exchange: the profile it judges against."""

    profile: Profile


CheckFunc = Callable[[Exchange, CheckContext], Iterable[Violation]]


class SequenceState:
    """A sequence check's running state over one scenario, made with the scenario's ``CheckContext``."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx

    def see(self, ex: Exchange, index: int) -> Iterable[Violation]:
        """The violations the scenario shows once ``ex`` (its exchange ``index``) has arrived."""
        raise NotImplementedError

    def end(self) -> Iterable[Violation]:
        """The violations whose message reads the whole scenario (a later exchange adds to them), as
        they stand after the exchanges seen so far; reading them changes nothing."""
        return ()

# When a check applies: to a JSON body, to a stream, or to any exchange.
APPLIES = ("body", "stream", "any")
# Which answers a check can find something in: a 2xx, an error status (400 and up), or any. The judge
# does not call a check on an exchange it cannot be about (most of a run is 2xx: the error checks).
STATUSES = ("success", "error", "any")


def status_class(status: int | None) -> str:
    """``success`` for a 2xx, ``error`` for 400 and up, ``other`` for the rest (none, 1xx, 3xx)."""
    if status is None:
        return "other"
    if 200 <= status < 300:
        return "success"
    return "error" if status >= 400 else "other"
# What a check judges: one exchange, the ordered exchanges of one scenario, or (``scenario``) what
# only the scenario's intent can say, recorded by the suite through ``expect``.
SCOPES = ("exchange", "sequence", "scenario")


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    severity: Severity
    clause: str
    summary: str
    applies: str
    endpoints: frozenset[str] | None
    # CheckFunc; for a sequence check its SequenceState class; None: a scenario check
    func: Callable[..., Any] | None
    scope: str = "exchange"
    # What the expectation needs of the target's model beyond honesty ("a model that can do
    # arithmetic"): a model that only echoes its prompt cannot meet it (the finding says so).
    needs: str = ""
    statuses: str = "any"  # success / error / any: the answers the check can find something in
    once_per_fault: bool = False  # a fault repeated in one exchange is one finding with a count

    def relevant(self, exchange: Exchange) -> bool:
        return self.applies_to(exchange.endpoint, exchange.events is not None, status_class(exchange.status))

    def applies_to(self, endpoint: str, streamed: bool, status: str | None = None) -> bool:
        """Whether the check judges exchanges of this endpoint, streamed or with a body (and, given
        its ``status_class``, with such a status)."""
        if self.endpoints is not None and endpoint not in self.endpoints:
            return False
        if status is not None and self.statuses != "any" and status != self.statuses:
            return False
        if self.applies == "stream":
            return streamed
        if self.applies == "body":
            return not streamed
        return True

    def run(self, exchange: Exchange, ctx: CheckContext) -> list[Finding]:
        # A list, not a generator: judge() runs every check on every exchange, and most find nothing.
        assert self.func is not None, f"{self.id} is a scenario check"
        found = [self.finding(violation, exchange.id) for violation in self.func(exchange, ctx)]
        return repeats_counted(found) if self.once_per_fault and len(found) > 1 else found

    def about(self, endpoint: str) -> bool:
        """Whether a finding of this check can be about an exchange of ``endpoint``."""
        return self.endpoints is None or endpoint in self.endpoints

    def start_sequence(self, ctx: CheckContext) -> SequenceState:
        """A new state of this sequence check, for one scenario."""
        assert self.scope == "sequence" and self.func is not None, f"{self.id} is not a sequence check"
        state = self.func(ctx)
        assert isinstance(state, SequenceState), f"{self.id}: a sequence check is a SequenceState class"
        return state

    def sequence_findings(self, violations: Iterable[Violation],
                          exchanges: Sequence[Exchange]) -> Iterator[Finding]:
        """Findings of a sequence check's violations that are about exchanges of its endpoints: so a
        live run need not report it when the exchange that just arrived is of another endpoint."""
        for violation in violations:
            about = exchanges[violation.exchange if violation.exchange is not None else -1]
            if self.about(about.endpoint):
                yield self.finding(violation, about.id)

    def finding(self, violation: Violation, exchange_id: str) -> Finding:
        """The finding a violation of this check is (id, clause and default severity added)."""
        return Finding(
            check_id=self.id,
            severity=violation.severity or self.severity,
            message=violation.message,
            location=violation.at,
            clause=violation.clause or self.clause,
            exchange_id=exchange_id,
        )


def once_per_fault(func: Any) -> Any:
    """Mark a check function whose fault, repeated in several Response objects of one exchange, is one
    finding with a count (``repeats_counted``; judge() and ``Check.run`` apply it).

    A stream carries the Response in response.created, .in_progress and the terminal event;
    a relay that gets created_at wrong gets it wrong in each, and one finding says so.
    """
    func.once_per_fault = True
    return func


def repeats_counted(found: list[Finding]) -> list[Finding]:
    """One check's findings on one exchange with each message once, saying how many more times it came."""
    seen: dict[str, list[Any]] = {}  # message -> [first finding, repeats]
    for finding in found:
        if finding.message in seen:
            seen[finding.message][1] += 1
        else:
            seen[finding.message] = [finding, 0]
    out = []
    for finding, repeats in seen.values():
        if repeats:
            times = "once more" if repeats == 1 else f"{repeats} more times"
            finding = replace(finding, message=f"{finding.message} (and {times} in this exchange)")
        out.append(finding)
    return out


_REGISTRY: dict[str, Check] = {}
# (endpoint, streamed) -> the registered checks relevant to such an exchange, in id order: judge()
# asks for every exchange, and relevance depends on nothing else (cleared by each registration).
_RELEVANT: dict[tuple[str, bool, str | None], tuple[Check, ...]] = {}
# scope ("" for all) -> the registered checks of that scope in id order: replay's sequence judging asks
# once per recording file, a live run at every expect (cleared by each registration).
_ORDERED: dict[str, tuple[Check, ...]] = {}


def check(
    id: str,
    *,
    severity: Severity | str = Severity.ERROR,
    clause: str,
    summary: str,
    applies: str = "any",
    endpoints: Iterable[str] | None = None,
    scope: str = "exchange",
    statuses: str = "any",
) -> Callable[[Any], Any]:
    """Register a check function under a stable, dotted id (``scope="sequence"``: a SequenceState class).

    ``statuses="error"`` (``"success"``) declares that the function finds nothing unless the status is
    400 or more (2xx): the judge then does not call it on other exchanges.
    """
    if applies not in APPLIES:
        raise ValueError(f"applies must be one of {APPLIES}")
    if statuses not in STATUSES:
        raise ValueError(f"statuses must be one of {STATUSES}")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")

    def decorate(func: Any) -> Any:
        _register(Check(
            id=id,
            severity=Severity(severity),
            clause=clause,
            summary=summary,
            applies=applies,
            endpoints=frozenset(endpoints) if endpoints is not None else None,
            func=func,
            scope=scope,
            statuses=statuses,
            once_per_fault=getattr(func, "once_per_fault", False),
        ))
        return func

    return decorate


def scenario_check(
    id: str, *, clause: str, summary: str, severity: Severity | str = Severity.ERROR, needs: str = ""
) -> str:
    """Register a scenario check (its findings come from the suites' ``expect``); returns its id."""
    _register(Check(id=id, severity=Severity(severity), clause=clause, summary=summary, applies="any",
                    endpoints=None, func=None, scope="scenario", needs=needs))
    return id


def _register(new: Check) -> None:
    if new.id in _REGISTRY:
        raise ValueError(f"check id {new.id!r} registered twice")
    _RELEVANT.clear()
    _ORDERED.clear()
    _REGISTRY[new.id] = new


class NotAScenarioCheck(ValueError):
    """``expect`` was given an id that is not a registered scenario check."""


def scenario_finding(check_id: str, message: str, exchange_id: str | None, at: str = "") -> Finding:
    """The finding a suite records through ``expect`` under a registered scenario check."""
    _ordered()
    found = _REGISTRY.get(check_id)
    if found is None or found.scope != "scenario":
        raise NotAScenarioCheck(f"{check_id!r} is not a registered scenario check (see respcheck checks)")
    if found.needs:
        message += f" (this expectation needs {found.needs})"
    return Finding(check_id=check_id, severity=found.severity, message=message, location=at,
                   clause=found.clause, exchange_id=exchange_id)


def all_checks() -> list[Check]:
    """Every registered check, sorted by id (importing the check modules registers them)."""
    return list(_ordered())


def sequence_checks() -> tuple[Check, ...]:
    """The registered sequence checks, sorted by id."""
    return _ordered("sequence")


def _ordered(scope: str = "") -> tuple[Check, ...]:
    """The registered checks of ``scope`` ("": all) by id, sorted once per registry state."""
    import respcheck.checks  # noqa: F401  (registers the built-in checks)

    found = _ORDERED.get(scope)
    if found is None:
        ordered = tuple(sorted(_REGISTRY.values(), key=lambda c: c.id))
        found = _ORDERED[scope] = tuple(c for c in ordered if c.scope == scope) if scope else ordered
    return found


def relevant_checks(endpoint: str, streamed: bool, status: str | None = None) -> tuple[Check, ...]:
    """The registered per-exchange checks relevant to an exchange of ``endpoint`` (streamed or
    not; with a status of this ``status_class``, when given), by id."""
    key = (endpoint, streamed, status)
    found = _RELEVANT.get(key)
    if found is None:
        found = _RELEVANT[key] = tuple(
            c for c in _ordered("exchange") if c.applies_to(endpoint, streamed, status)
        )
    return found


def get_check(check_id: str) -> Check:
    _ordered()
    return _REGISTRY[check_id]
