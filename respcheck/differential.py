"""Differential checks: the same request sent to a relay and straight to the upstream behind it.

When a target declares ``upstream: reference``, respcheck's deterministic reference server answers
behind the relay, so a faithful chain gives the upstream's answer unchanged, and any difference is the
relay's own doing (not its upstream's). Each comparison is a pure function of the two exchanges.
"""

from __future__ import annotations

import itertools
from typing import Any

from respcheck.checks.common import final_response
from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity

CLAUSE = "differential: a relay preserves what its upstream answered"
# an honest recount of output tokens (another tokenizer) stays this close to the upstream's
USAGE_TOLERANCE = 0.25


def _finding(check_id: str, message: str, location: str, relay: Exchange) -> Finding:
    return Finding(check_id, Severity.ERROR, message, location, CLAUSE, relay.id)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a list (a relay may put anything where a list of objects belongs)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(response: dict[str, Any]) -> str:
    return "".join(
        str(part.get("text") or "")
        for item in _dicts(response.get("output"))
        if item.get("type") == "message"
        for part in _dicts(item.get("content"))
        if part.get("type") == "output_text"
    )


def _items(response: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What an output item says, without the ids each side mints: type, role, function name and arguments."""
    return [
        (i.get("type"), i.get("role"), i.get("name"), i.get("arguments"))
        for i in _dicts(response.get("output"))
        if i.get("type") != "reasoning"  # reasoning is the model's, not the relay's, to show or not
    ]


def skeleton(exchange: Exchange) -> list[str]:
    """The stream's event types in order, a run of the same type (deltas) counted once."""
    types = [e.type for e in exchange.events or [] if e.type and e.type.startswith("response.")]
    return [t for t, _ in itertools.groupby(types)]


def _usage_finding(relay_usage: Any, upstream_usage: Any) -> str | None:
    """Why the relay's usage is neither the upstream's nor an honest recount of it, or None."""
    keys = ("input_tokens", "output_tokens", "total_tokens")
    if not isinstance(upstream_usage, dict):
        return None
    if not isinstance(relay_usage, dict):
        return f"usage is {relay_usage!r} where the upstream reported {_counts(upstream_usage)}"
    if all(relay_usage.get(k) == upstream_usage.get(k) for k in keys):
        return None  # passed through
    counts = [c for c in (relay_usage.get(k) for k in keys) if isinstance(c, int)]
    if len(counts) != len(keys) or counts[2] != counts[0] + counts[1]:
        return f"usage {_counts(relay_usage)} is not a sum (upstream: {_counts(upstream_usage)})"
    theirs = upstream_usage.get("output_tokens") or 0
    if abs(counts[1] - theirs) > max(2, USAGE_TOLERANCE * theirs):
        return (
            f"usage.output_tokens is {counts[1]} where the upstream counted {theirs} for the same text "
            f"(neither passed through nor an honest recount)"
        )
    return None


def _counts(usage: dict[str, Any]) -> str:
    return "/".join(str(usage.get(k)) for k in ("input_tokens", "output_tokens", "total_tokens"))


def compare(relay: Exchange, upstream: Exchange) -> list[Finding]:
    """Findings where the relay's answer departs from the upstream's answer to the same request."""
    if relay.status != upstream.status:
        return [_finding("diff.status", f"the relay answered {relay.status} where the upstream answered "
                         f"{upstream.status}", "/response/status", relay)]
    mine, theirs = final_response(relay), final_response(upstream)
    if theirs is None:
        return []
    if mine is None:
        return [_finding("diff.items", "the relay's answer has no final Response; the upstream's has one",
                         "/response", relay)]
    (response, at), (expected, _) = mine, theirs
    found = []
    if _text(response) != _text(expected):
        found.append(_finding("diff.text", f"output text {_text(response)[:80]!r} is not the upstream's "
                              f"{_text(expected)[:80]!r}", f"{at}/output", relay))
    if _items(response) != _items(expected):
        found.append(_finding("diff.items", f"output items {_items(response)} are not the upstream's "
                              f"{_items(expected)}", f"{at}/output", relay))
    usage = _usage_finding(response.get("usage"), expected.get("usage"))
    if usage:
        found.append(_finding("diff.usage", usage, f"{at}/usage", relay))
    if relay.events is not None and upstream.events is not None and skeleton(relay) != skeleton(upstream):
        found.append(_finding("diff.events", f"event skeleton {skeleton(relay)} is not the upstream's "
                              f"{skeleton(upstream)}", "/response/events", relay))
    return found


def id_round_trip(created: Exchange, retrieved: Exchange, upstream_has_it: Exchange | None) -> list[Finding]:
    """The id the relay gave back retrieves that response from the relay, and (a pass-through relay)
    names the upstream's response: ids neither rewritten nor lost."""
    mine = final_response(created)
    if mine is None:
        return []
    response_id = mine[0].get("id")
    found = []
    got = final_response(retrieved)
    if retrieved.status != 200 or got is None or got[0].get("id") != response_id:
        found.append(_finding("diff.ids", f"GET /responses/{response_id} on the relay answered "
                              f"{retrieved.status}, not that response", "/response/status", retrieved))
    if upstream_has_it is not None and upstream_has_it.status != 200:
        found.append(_finding("diff.ids", f"the upstream knows no response {response_id} "
                              f"({upstream_has_it.status}): the relay rewrote the id", "/response/status",
                              created))
    return found
