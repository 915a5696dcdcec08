"""The oracle's ground truth: real OpenAI traffic produces no error finding under ``openai``.

The only exceptions are named here by id, each with its reason. Every one of them is a
spring-2025 stream that predates ``sequence_number`` (and ``logprobs`` on text events):
the contract requires both now and most real traffic carries them, so these streams stay
errors — a relay that still streams like this today is non-conformant.
"""

from __future__ import annotations

import json
import subprocess
import sys

from respcheck.findings import Severity
from respcheck.judge import judge
from tests import recorded

PREDATES_SEQUENCE_NUMBER = "spring-2025 stream: predates sequence_number and logprobs on text events"
KNOWN_ERRORS: dict[str, tuple[frozenset[str], str]] = {
    exchange_id: (frozenset({"stream.sequence_number.present", "schema.event"}), PREDATES_SEQUENCE_NUMBER)
    for exchange_id in (
        "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_stream.yml#0",
        "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_stream_without_proc.yml#0",
        "pydantic__pydantic-ai/tests/models/cassettes/test_openai_responses/test_openai_responses_stream.yaml#0",
        "pydantic__pydantic-ai/tests/models/cassettes/test_openai_responses/test_openai_responses_stream.yaml#1",
        "simonw__llm-openai-plugin/tests/cassettes/test_openai/test_async_model.yaml#0",
        "simonw__llm-openai-plugin/tests/cassettes/test_openai/test_async_model_schema.yaml#0",
    )
}


def test_openai_traffic_has_no_error_finding_except_the_named_ones() -> None:
    unexpected = []
    fired_on_known = set()
    for exchange in recorded.exchanges("openai"):
        errors = {f.check_id for f in judge(exchange, "openai") if f.severity is Severity.ERROR}
        allowed, _reason = KNOWN_ERRORS.get(exchange.id, (frozenset(), ""))
        if errors - allowed:
            unexpected.append((exchange.id, sorted(errors - allowed)))
        if errors:
            fired_on_known.add(exchange.id)
    assert not unexpected, unexpected
    # Each named exception really is one: a stale entry would hide a future regression.
    assert fired_on_known == set(KNOWN_ERRORS)


def test_predating_streams_lack_sequence_numbers() -> None:
    """The named exceptions are what their reason says: no event carries sequence_number."""
    for exchange_id in KNOWN_ERRORS:
        events = recorded.record(exchange_id)["response"]["events"]
        assert all("sequence_number" not in e["data"] for e in events if isinstance(e["data"], dict)), (
            exchange_id
        )


def test_replay_cli_agrees() -> None:
    """``respcheck replay tests/fixtures/recordings --profile openai --json``: the acceptance command."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "respcheck.cli",
            "replay",
            str(recorded.RECORDINGS),
            "--profile",
            "openai",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr  # the named streams (and other providers) fail
    verdict = json.loads(result.stdout)
    assert verdict["summary"]["exchanges"] == 464 and verdict["summary"]["unreadable"] == 0
    failing_openai = {
        exchange_id
        for exchange_id, v in verdict["exchanges"].items()
        if v["provider"] == "openai" and v["verdict"] == "fail"
    }
    assert failing_openai == set(KNOWN_ERRORS)
