"""Run the registered checks over exchanges: the one place findings are produced."""

from __future__ import annotations

from collections.abc import Iterable

from respcheck.checks.registry import Check, CheckContext, all_checks
from respcheck.exchange import Exchange
from respcheck.findings import Finding
from respcheck.profiles import Profile, get_profile


def judge(
    exchange: Exchange,
    profile: Profile | str = "openai",
    checks: Iterable[Check] | None = None,
) -> list[Finding]:
    """Every finding the (relevant) checks have about one exchange."""
    if isinstance(profile, str):
        profile = get_profile(profile)
    ctx = CheckContext(profile=profile)
    findings: list[Finding] = []
    for c in checks if checks is not None else all_checks():
        if c.relevant(exchange):
            findings.extend(c.run(exchange, ctx))
    return findings
