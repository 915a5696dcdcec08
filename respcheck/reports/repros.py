"""The repro of every failed test, added to the verdict (``test["repro"]``) for the outputs after it.

Runs once, after ``exchanges.jsonl`` is joined and before the summary, the page, JUnit and Allure,
so all of them show the same calls, built by the one repro builder (respcheck.session.repro) from
the same records: the exchanges the test's error findings name, each with the earlier calls it
needs, response ids threaded through shell variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from respcheck.reports.records import by_test, load_records
from respcheck.session.repro import error_exchange_ids, failure_repro
from respcheck.session.session import FinishHandler


def call_caption(record: dict[str, Any]) -> str:
    """``POST /v1/responses → 200 (stream)``: what a repro call is, in one line."""
    req, resp = record.get("request") or {}, record.get("response") or {}
    kind = "stream" if resp.get("events") is not None else "json"
    status = resp.get("status") if resp.get("status") is not None else f"no response ({resp.get('broken')})"
    return f"{req.get('method')} {req.get('path')} → {status} ({kind})"


def repro_entries(test: dict[str, Any], records: list[dict[str, Any]],
                  target: dict[str, Any]) -> list[dict[str, Any]]:
    """The calls replaying a failed test: exchange id, caption and curl command of each, in order."""
    calls = failure_repro(error_exchange_ids(test.get("findings") or []), records, target)
    return [{"exchange_id": r.get("id"), "call": call_caption(r), "curl": command} for r, command in calls]


def client_notes(records: list[dict[str, Any]]) -> list[str]:
    """What the client noted about these exchanges (a 429 retried, a request sent again after the target
    closed a kept-alive connection unanswered), each with its exchange id: how they went."""
    return [f"exchange {r.get('id')}: {note}" for r in records for note in r.get("notes") or []]


def repro_commands(test: dict[str, Any]) -> list[str]:
    """The curl commands of a test's repro, as this handler stored them."""
    return [str(entry.get("curl")) for entry in test.get("repro") or []]


class Repros(FinishHandler):
    name = "repros"

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir

    def write(self, summary: dict[str, Any]) -> None:
        # a known failure (the baseline accepts it) too: a root cause's example may be one
        failed = [t for t in summary.get("tests") or [] if t.get("outcome") in ("failed", "known")]
        if not failed:
            return
        grouped = by_test(load_records(self.report_dir, {str(t.get("nodeid")) for t in failed}))
        target = summary.get("target") or {}
        for test in failed:
            records = grouped.get(str(test.get("nodeid")), [])
            entries = repro_entries(test, records, target)
            if entries:
                test["repro"] = entries
            notes = client_notes(records)
            if notes:
                test["client_notes"] = notes
