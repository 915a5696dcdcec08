"""transport.complete, and the guard that every registered check has a test that makes it fire."""

from __future__ import annotations

from pathlib import Path

from respcheck.checks import all_checks
from respcheck.findings import Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded


def _stream() -> dict:
    return recorded.first(
        lambda r: r["provider"] == "openai" and r["streaming"] and len(r["response"]["events"]) > 8
    )


def test_broken_exchange_fires_transport_complete() -> None:
    ex = exchange_from_record(_stream())
    ex.events = ex.events[:3]
    ex.broken = "no data for 1 s between events (between_events timeout)"
    findings = [f for f in judge(ex, "openai") if f.check_id == "transport.complete"]
    assert len(findings) == 1
    assert findings[0].severity is Severity.ERROR
    assert "between_events timeout" in findings[0].message and findings[0].location == "/response"


def test_whole_exchange_is_silent() -> None:
    ex = exchange_from_record(_stream())
    assert not [f for f in judge(ex, "openai") if f.check_id == "transport.complete"]


def test_every_registered_check_is_named_by_a_test() -> None:
    """Each check id appears in a test that makes it fire (literally, or via the framing cases)."""
    from tests.test_checks_stream import FRAMING_CASES

    text = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    named = {c.id for c in all_checks() if f'"{c.id}"' in text}
    named |= {f"sse.framing.{kind}" for kind in FRAMING_CASES}
    assert {c.id for c in all_checks()} - named == set()


def test_every_check_has_a_clause_and_summary() -> None:
    for c in all_checks():
        assert c.clause.strip() and c.summary.strip(), c.id
