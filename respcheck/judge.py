"""Run the registered checks over exchanges: the one place findings are produced.

``judge`` runs the per-exchange checks over one exchange; ``judge_sequence`` runs the
sequence checks over the ordered exchanges of one scenario (a live test, a recording file);
``judge_recording`` does both for a whole recording. Where a semantic check explains a fault,
a schema finding on the same pointer is folded into it (``fold``): one fault, one finding.

Two more things hold for every finding, whatever check made it: a check that fires more than
``FOLD_AFTER`` times on one exchange gives one finding with a count (``fold_repeats``), and any
text a finding quotes from the target is scrubbed of secrets, fragments of a key included (a
20-character quote of text assembled from deltas can hold part of one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from respcheck.checks.registry import (
    Check,
    CheckContext,
    SequenceState,
    relevant_checks,
    repeats_counted,
    sequence_checks,
    status_class,
)
from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity, fold_repeats
from respcheck.profiles import Profile, get_profile
from respcheck.redact import any_registered, redact_quoted

SCHEMA_PREFIX = "schema."
# Pointers of whole Response objects (or events): a schema finding there is about the object,
# so it is folded into a semantic finding below it only when it names that field.
_OBJECT_ROOTS = ("/response/body", "/response")


def judge(
    exchange: Exchange,
    profile: Profile | str = "openai",
    checks: Iterable[Check] | None = None,
) -> list[Finding]:
    """Every finding the (relevant) per-exchange checks have about one exchange."""
    ctx = CheckContext(profile=_profile(profile))
    if checks is None:
        chosen: Iterable[Check] = relevant_checks(
            exchange.endpoint, exchange.events is not None, status_class(exchange.status)
        )
    else:
        chosen = [c for c in checks if c.scope == "exchange" and c.relevant(exchange)]
    findings: list[Finding] = []
    found = 0  # len(findings) after the last check
    for c in chosen:  # Check.run inlined: this loop calls ~40 checks per exchange, most find nothing
        func = c.func
        if func is None:
            continue  # a scenario check: its findings come from the suites' expect
        for violation in func(exchange, ctx):
            findings.append(c.finding(violation, exchange.id))
        if len(findings) != found:  # rare: most checks find nothing
            if c.once_per_fault and len(findings) - found > 1:
                findings[found:] = repeats_counted(findings[found:])
            found = len(findings)
    if not findings:
        return findings  # most exchanges: nothing to fold or scrub
    if len(findings) > 1:  # one finding explains no other and is no repeat
        findings = fold_repeats(fold(findings))
    return scrubbed_all(findings)


def judge_sequence(
    exchanges: Sequence[Exchange],
    profile: Profile | str = "openai",
    checks: Iterable[Check] | None = None,
) -> list[Finding]:
    """Every finding the sequence checks have about the ordered exchanges of one scenario."""
    chosen = sequence_checks() if checks is None else [c for c in checks if c.scope == "sequence"]
    return _sequence_run(exchanges, _profile(profile), chosen)


def judge_recording(
    exchanges: Sequence[Exchange], profile: Profile | str = "openai"
) -> dict[str, list[Finding]]:
    """Exchange id -> its findings: per exchange, and across the recording (in order).

    Each exchange is judged on its own just before the sequence checks see it, while the views of it
    the per-exchange checks made (``checks.common.per_exchange``: its stream's one pass) are still the
    ones at hand: the sequence checks read the same Response objects, and judging every exchange first
    made them parse each stream again."""
    chosen = _profile(profile)
    out: dict[str, list[Finding]] = {}

    def judged(ex: Exchange) -> None:
        out[ex.id] = judge(ex, chosen)

    for finding in _sequence_run(exchanges, chosen, sequence_checks(), before_each=judged):
        out.setdefault(finding.exchange_id or "", []).append(finding)
    return out


def _sequence_run(exchanges: Sequence[Exchange], profile: Profile, checks: Sequence[Check],
                  before_each: Callable[[Exchange], None] | None = None) -> list[Finding]:
    """The sequence checks over one scenario: each sees every exchange in order (``before_each`` of it
    called first), then says what only the whole scenario shows; findings by check, in order."""
    ctx = CheckContext(profile=profile)
    runs: list[tuple[Check, SequenceState, list[Finding]]] = [(c, c.start_sequence(ctx), []) for c in checks]
    for index, ex in enumerate(exchanges):
        if before_each is not None:
            before_each(ex)
        for c, state, found in runs:
            found.extend(c.sequence_findings(state.see(ex, index), exchanges))
    if exchanges:
        for c, state, found in runs:
            found.extend(c.sequence_findings(state.end(), exchanges))
    return scrubbed_all([finding for _, _, found in runs for finding in found])


class ScenarioJudge:
    """The sequence checks over one live scenario, fed one exchange at a time.

    Each check keeps its state (``SequenceState``) per profile, so each new exchange is judged
    against what the earlier ones left, never by reading them all again (a generated test of 200
    requests would otherwise cost 20,000 passes). ``add`` returns what the sequence checks say about
    the new exchange, so every sequence finding is reported once, when the exchange showing it arrives.
    """

    def __init__(self, profiles: Iterable[Profile | str] = ("openai",)) -> None:
        self.exchanges: list[Exchange] = []
        checks = sequence_checks()
        self._states = [
            (chosen, [(c, c.start_sequence(CheckContext(profile=chosen))) for c in checks])
            for chosen in (_profile(p) for p in profiles)
        ]

    def see(self, ex: Exchange) -> list[tuple[str, Finding]]:
        """Feed ``ex``: every finding the sequence checks have once it arrived (any exchange), per profile."""
        index = len(self.exchanges)
        self.exchanges.append(ex)
        out: list[tuple[str, Finding]] = []
        for chosen, states in self._states:
            for c, state in states:
                found = [*c.sequence_findings(state.see(ex, index), self.exchanges)]
                if c.about(ex.endpoint):  # a finding about another endpoint's exchange cannot be about ex
                    found += c.sequence_findings(state.end(), self.exchanges)
                out.extend((chosen.name, f) for f in found)
        return out

    def add(self, ex: Exchange) -> list[tuple[str, Finding]]:
        """Feed ``ex``: the findings about it (each once, with the first profile that found it)."""
        seen: set[tuple[str, str, str]] = set()
        out: list[tuple[str, Finding]] = []
        for name, f in self.see(ex):
            key = (f.check_id, f.location, f.message)
            if f.exchange_id == ex.id and key not in seen:
                seen.add(key)
                out.append((name, scrubbed(f) if any_registered() else f))
        return out


def scrubbed_all(findings: list[Finding]) -> list[Finding]:
    """``scrubbed`` of each finding (as it is while no secret is registered: replay, the fixtures)."""
    return [scrubbed(f) for f in findings] if findings and any_registered() else findings


def scrubbed(finding: Finding) -> Finding:
    """The finding with every secret, or piece of one, masked in what it quotes."""
    message, location = redact_quoted(finding.message), redact_quoted(finding.location)
    evidence = tuple(redact_quoted(e) for e in finding.evidence)
    if (message, location, evidence) == (finding.message, finding.location, finding.evidence):
        return finding
    return dataclasses.replace(finding, message=message, location=location, evidence=evidence)


def _profile(profile: Profile | str) -> Profile:
    return get_profile(profile) if isinstance(profile, str) else profile


def fold(findings: list[Finding]) -> list[Finding]:
    """Fold each schema finding a semantic finding explains into it (as evidence).

    Explained: the schema finding is on the same pointer as an error finding of another
    check, or on the object holding that pointer's field (the whole Response or event only
    when the schema message names the field, e.g. "required property 'model' is missing").
    """
    semantic = [
        f for f in findings if not f.check_id.startswith(SCHEMA_PREFIX) and f.severity is Severity.ERROR
    ]
    if not semantic:
        return findings
    evidence: dict[int, list[str]] = {}
    kept: list[Finding] = []
    for f in findings:
        owner = _explained_by(f, semantic) if f.check_id.startswith(SCHEMA_PREFIX) else None
        if owner is None:
            kept.append(f)
        else:
            evidence.setdefault(id(owner), []).append(f"{f.check_id}: {f.message}")
    if not evidence:
        return findings
    return [
        dataclasses.replace(f, evidence=(*f.evidence, *evidence[id(f)])) if id(f) in evidence else f
        for f in kept
    ]


def _explained_by(schema_finding: Finding, semantic: list[Finding]) -> Finding | None:
    where = schema_finding.location
    for f in semantic:
        if f.location == where:
            return f
        parent, _, field = f.location.rpartition("/")
        names_field = f"'{field}'" in schema_finding.message
        if parent == where and where and (names_field or not _is_object_root(where)):
            return f
    return None


def _is_object_root(pointer: str) -> bool:
    return pointer in _OBJECT_ROOTS or pointer.endswith(("/data", "/data/response"))


def judge_all(exchange: Exchange, profiles: Iterable[str]) -> list[tuple[str, Finding]]:
    """Findings under every profile, each reported once (with the first profile that found it)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for name in profiles:
        for f in judge(exchange, get_profile(name)):
            key = (f.check_id, f.location, f.message)
            if key not in seen:
                seen.add(key)
                out.append((name, f))
    return out
