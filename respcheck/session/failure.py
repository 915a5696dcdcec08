"""A failed test's one message: every error finding the scenario collected, by exchange, why the
scenario stopped early if it did, and at the end the repro of them all (``session.repro``: the
calls to run in order, ids threaded), the same block the reports show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from respcheck.findings import Finding
from respcheck.session.repro import failure_repro, repro_text

# More findings than this in one test are counted, not listed (the reports list them all).
SHOWN = 40


def describe_findings(
    errors: Sequence[tuple[str, Finding]],
    records: Sequence[dict[str, Any]],
    identity: Mapping[str, Any],
    stopped: str | None = None,
) -> str:
    """The failure text: a headline naming the check ids, the findings under the call each is about,
    then the repro block built from the test's ``records`` (its exchanges, as recorded)."""
    ids = sorted({f.check_id for _, f in errors})
    lines = [f"{len(errors)} finding(s) in this scenario: {', '.join(ids)}"]
    if stopped:
        lines.append(f"the scenario stopped early: {stopped}")
    calls = {str(r.get("id")): r for r in records}
    shown = 0
    for exchange_id, group in _by_exchange(errors):
        lines.append(_call_line(calls.get(exchange_id or "")))
        for profile, f in group:
            if shown < SHOWN:
                where = f"  (at {f.location})" if f.location else ""
                lines.append(f"  [{profile}] {f.check_id}: {f.message}{where}")
            shown += 1
    if shown > SHOWN:
        lines.append(f"  ... and {shown - SHOWN} more (every finding is in the report)")
    commands = [c for _, c in failure_repro([f.exchange_id for _, f in errors], list(records), identity)]
    block = repro_text(commands)
    return "\n".join([*lines, block] if block else lines)


def _call_line(record: Mapping[str, Any] | None) -> str:
    if record is None:
        return "(not about one call):"
    request, response = record.get("request") or {}, record.get("response") or {}
    return f"{request.get('method')} {request.get('path')} -> {response.get('status')}:"


def _by_exchange(errors: Sequence[tuple[str, Finding]]) -> list[tuple[str | None, list[tuple[str, Finding]]]]:
    """The findings grouped by the exchange they are about, in the order the scenario met them."""
    groups: dict[str | None, list[tuple[str, Finding]]] = {}
    for profile, f in errors:
        groups.setdefault(f.exchange_id, []).append((profile, f))
    return list(groups.items())
