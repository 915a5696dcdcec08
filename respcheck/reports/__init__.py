"""The report writers of a run, one module per output (as schemathesis lays them out).

``respcheck.results`` writes ``summary.json``, ``findings.ndjson`` and ``exchanges.jsonl``, then
calls ``write_reports``, which adds:

- ``exchanges.har`` (har.py): every exchange as HAR 1.2, replayable with ``respcheck replay``;
- a row in ``history.sqlite`` beside the report folder (history.py), and what changed since the
  target's previous run, stored in ``summary.json`` under ``changes``;
- ``index.html`` (html.py): the static page of the run.

``build_matrix`` (matrix.py) turns several report folders into the nightly matrix page.
Everything written is scrubbed of secrets (respcheck.redact) on the way out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text
from respcheck.reports.har import write_har
from respcheck.reports.history import default_history_path, record_and_compare
from respcheck.reports.html import write_index
from respcheck.reports.matrix import build_matrix
from respcheck.reports.records import load_records, shown_base_url
from respcheck.results import SUMMARY_FILE

__all__ = ["build_matrix", "write_reports"]


def write_reports(report_dir: Path, summary: dict[str, Any], history: Path | None = None) -> None:
    """Write the HAR, the history row (and ``changes`` into summary.json) and index.html.

    ``history`` defaults to ``history.sqlite`` in the report folder's parent. One writer failing
    (a full disk, a locked history) is reported on stderr and does not stop the others: the run's
    verdict and exit code are already decided.
    """
    report_dir = Path(report_dir)
    summary = dict(redact_record(summary))  # a copy: redact_record may return the caller's own dict
    if isinstance(summary.get("target"), dict) and summary["target"].get("base_url"):
        summary["target"] = {**summary["target"], "base_url": shown_base_url(summary["target"])}
    records = load_records(report_dir)
    _attempt("exchanges.har", lambda: write_har(report_dir, records, summary))

    def history_step() -> None:
        changes = record_and_compare(history or default_history_path(report_dir), summary, report_dir)
        summary["changes"] = redact_record(changes.to_dict())
        text = redact_text(json.dumps(summary, indent=1, ensure_ascii=False)) + "\n"
        (report_dir / SUMMARY_FILE).write_text(text, encoding="utf-8")

    _attempt("history", history_step)
    _attempt("index.html", lambda: write_index(report_dir, summary, records))


def _attempt(what: str, step: Any) -> None:
    try:
        step()
    except Exception as exc:  # a report that cannot be written must not hide the others
        print(f"respcheck: could not write {what}: {type(exc).__name__}: {redact_text(str(exc))}",
              file=sys.stderr)
