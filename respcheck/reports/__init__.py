"""The outputs of a run: each one handler of the session's events, in its own module.

Owns everything a run writes or prints (as schemathesis lays its handlers out):

- ``terminal.py``: the closing summary printed after pytest's own (root causes, baseline, changes);
- ``progress.py``: the live progress line (a terminal) or periodic lines (a CI log);
- ``exchanges.py``: ``exchanges.jsonl`` (the recorder's per-process parts joined);
- ``repros.py``: each failed test's repro (``repro`` in the summary, shown by the page, JUnit
  and Allure), built once by respcheck.session.repro;
- ``findings.py``: ``findings.ndjson``;
- ``history.py``: a row in ``history.sqlite`` beside the report folder, and ``changes`` since the
  target's previous run (added to the summary, so it runs before the summary and the page);
- ``summary.py``: ``summary.json``;
- ``har.py``: ``exchanges.har`` (HAR 1.2, replayable with ``respcheck replay``);
- ``html.py``: ``index.html``;
- ``junit.py``: ``junit.xml``; ``allure.py``: ``allure-results/``;
- ``matrix.py``: the nightly page across several report folders (``respcheck report matrix``).

A new format is one module with a ``FinishHandler`` (or any ``handle(event)``) and one line in
``file_handlers``. Everything written is scrubbed of secrets (respcheck.redact) on the way out.
May import: respcheck.session (events, repro, target identity) and the core; never the pytest
wiring (plugin, run, cli).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from respcheck.reports.allure import Allure
from respcheck.reports.exchanges import ExchangesJsonl
from respcheck.reports.findings import FindingsNdjson
from respcheck.reports.har import Har
from respcheck.reports.history import History
from respcheck.reports.html import Html
from respcheck.reports.junit import JUnit
from respcheck.reports.matrix import build_matrix
from respcheck.reports.repros import Repros
from respcheck.reports.summary import SummaryJson
from respcheck.session.events import RunFinished
from respcheck.session.session import Handler, Session

__all__ = ["build_matrix", "file_handlers", "write_reports"]


def file_handlers(report_dir: Path, history: Path | None = None) -> list[Handler]:
    """The handlers writing the report folder, in the order they must run."""
    return [
        ExchangesJsonl(report_dir),
        Repros(report_dir),  # adds each failed test's ``repro`` for the summary, page, JUnit, Allure
        FindingsNdjson(report_dir),
        History(report_dir, history),  # adds ``changes`` to the summary the next ones write
        SummaryJson(report_dir),
        Har(report_dir),
        Html(report_dir),
        JUnit(report_dir),
        Allure(report_dir),
    ]


def write_reports(report_dir: Path, summary: dict[str, Any], history: Path | None = None) -> None:
    """Write the whole report folder for a finished run's ``summary`` (a report rebuilt
    from a summary). One writer failing is reported and does not stop the others."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    session = Session(None, file_handlers(report_dir, history))
    session.emit(RunFinished(summary=dict(summary), exit_code=int(summary.get("exit_code", 0))))
