"""Checks: the exchange completed at all (no timeout, reset, oversize or undecodable body)."""

from __future__ import annotations

from collections.abc import Iterator

from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange


@check(
    "transport.complete",
    clause="HTTP/1.1 (RFC 9112): a response is complete, within the client's timeouts and size limits",
    summary="the response arrived whole: no timeout, reset, oversize or undecodable body",
)
def transport_complete(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if ex.broken:
        yield Violation(f"the exchange broke off: {ex.broken}", "/response")
