"""Checks added for the fault catalogue: each fires on a mutated real exchange, never on real traffic."""

from __future__ import annotations

import copy

from respcheck.checks import get_check
from respcheck.findings import Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded


def _completed_text_create() -> dict:
    return recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and r["endpoint"] == "create"
            and not r["streaming"]
            and r["response"]["body"].get("status") == "completed"
            and any(i.get("type") == "message" for i in r["response"]["body"].get("output") or [])
        )
    )


def _nonzero(record: dict):
    return judge(exchange_from_record(record), "openai", [get_check("usage.nonzero")])


def test_usage_nonzero_fires_on_zeroed_usage():
    record = copy.deepcopy(_completed_text_create())
    record["response"]["body"]["usage"].update(input_tokens=0, output_tokens=0, total_tokens=0)
    found = _nonzero(record)
    assert [f.location.rsplit("/", 1)[-1] for f in found] == ["input_tokens", "output_tokens"]
    assert all(f.severity is Severity.ERROR for f in found)


def test_usage_nonzero_spares_tool_call_only_answers():
    # Real OpenAI answers of March 2025 with only function calls report all zeros.
    record = copy.deepcopy(_completed_text_create())
    body = record["response"]["body"]
    body["output"] = [
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "f",
            "arguments": "{}",
            "status": "completed",
        }
    ]
    body["usage"].update(input_tokens=0, output_tokens=0, total_tokens=0)
    assert _nonzero(record) == []


def test_usage_nonzero_is_silent_on_real_traffic():
    check = get_check("usage.nonzero")
    assert [f for ex in recorded.exchanges(None) for f in judge(ex, "openai", [check])] == []
