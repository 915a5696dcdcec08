"""The recorder: every exchange a process sends, redacted, appended to its own part of the report
(``exchanges-<worker>.jsonl``) and flushed as it happens, so memory does not grow with the run.
The ``exchanges.jsonl`` handler (respcheck.reports.exchanges) joins the parts at the end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from respcheck.exchange import Exchange, to_json_line
from respcheck.redact import redact_record
from respcheck.session.repro import exchange_record

EXCHANGE_PARTS = "exchanges-*.jsonl"


class Recorder:
    def __init__(self, report_dir: Path | None, part: str, target: str) -> None:
        self.path = report_dir / f"exchanges-{part}.jsonl" if report_dir is not None else None
        self.target = target
        self.test: str | None = None  # node id of the test making the requests
        self._out: TextIO | None = None

    def __call__(self, exchange: Exchange) -> None:
        if self.path is None:
            return
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = open(self.path, "a", encoding="utf-8")  # noqa: SIM115  (kept open for the run)
        record = exchange_record(exchange)
        record["started_at"] = round(time.time() - (exchange.elapsed or 0.0), 6)  # wall clock, for the HAR
        record["test"] = self.test
        record["target"] = self.target
        self._out.write(to_json_line(redact_record(record)) + "\n")  # strict JSON, whatever the target sent
        self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
