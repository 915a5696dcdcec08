"""Replay finds what the live run finds (issue 10): ``respcheck replay`` of the selftest's recorded
exchanges fires the declared check of every replayable fault of the catalogue.

The selftest records every exchange with its test (the suite test with its fault,
``test_x[id-fault]``); each fault's exchanges become one recording file (one file is one scenario
for the sequence checks), judged by the ``respcheck replay`` command under the fault's profile.
What a recording cannot show is listed in ``NOT_REPLAYABLE`` with the reason, and the test holds
that list to the truth too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict

import pytest

from respcheck.faults.catalogue import CATALOGUE
from respcheck.faults.selftest import run_selftest, select

CLI = [sys.executable, "-c", "from respcheck.cli import main; main()"]

NOT_REPLAYABLE = {
    # the recording keeps the parsed events, not the bytes on the wire: framing faults are gone
    "dataless_event_block": "an SSE block with no data line is dropped by the parser before recording",
    "last_event_unterminated": "the missing blank line after the last event is not kept in a recording",
    "invalid_utf8_stream": "the recording holds the decoded text; the invalid bytes are replaced",
    # the expectation needs the scenario's intent, which no recording holds
    "previous_response_id_ignored": "recall of a fact stated a turn earlier (conversation.recall); "
    "replay still warns with response.echo (previous_response_id not echoed)",
    "previous_response_id_echo_only": "recall of a fact stated a turn earlier (conversation.recall)",
    "reasoning_summary_dropped": "a summary asked for and none given (reasoning.answered): real OpenAI "
    "answers some prompts with an empty summary, so a recording alone cannot tell",
}


def fault_of(nodeid: str) -> str:
    """The fault of a selftest test: the last part of its id (``test_x[Say hello.-sequence_gap]``)."""
    found = re.search(r"[\[-](\w+)\]$", nodeid)
    assert found is not None, nodeid
    return found.group(1)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Fault name -> the check ids (error or warning) replay fired on its recorded exchanges."""
    root = tmp_path_factory.mktemp("selftest")
    run_selftest(select(), report_dir=root / "report")
    by_fault: dict[str, list[dict]] = defaultdict(list)
    for line in (root / "report" / "exchanges.jsonl").read_text().splitlines():
        record = json.loads(line)
        fault = fault_of(record["test"])
        record["id"] = f"{fault}/{len(by_fault[fault])}"  # one id per fault, for the verdicts below
        by_fault[fault].append(record)
    fired: dict[str, set[str]] = defaultdict(set)
    for profile in {p for f in CATALOGUE.values() for p in f.profiles}:
        folder = root / profile
        folder.mkdir()
        for name, fault in CATALOGUE.items():
            if profile in fault.profiles and by_fault[name]:
                lines = [json.dumps(r) for r in by_fault[name]]
                (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
        done = subprocess.run([*CLI, "replay", str(folder), "--profile", profile, "--json"],
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode in (0, 1), done.stderr
        for exchange_id, verdict in json.loads(done.stdout)["exchanges"].items():
            fired[exchange_id.split("/")[0]] |= {
                f["check_id"] for f in verdict["findings"] if f["severity"] in ("error", "warning")
            }
    return fired


def test_replay_of_the_selftest_recording_finds_every_replayable_fault(replayed: dict[str, set[str]]) -> None:
    declared = {name: f.detected_by for name, f in CATALOGUE.items() if f.detected_by}
    missed = {name: check for name, check in declared.items() if check not in replayed[name]}
    assert set(missed) == set(NOT_REPLAYABLE), missed
    assert set(NOT_REPLAYABLE) <= set(declared)
