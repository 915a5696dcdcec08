"""The recorder: every exchange a process sends, redacted, appended to its own part of the report
(``exchanges-<worker>.jsonl``) and flushed as it happens, so memory does not grow with the run.
The ``exchanges.jsonl`` handler (respcheck.reports.exchanges) joins the parts at the end. The
running test's records are also kept (``current``, until the next test) for its failure's repro."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TextIO

from respcheck.exchange import Exchange, to_json_line
from respcheck.redact import redact_record
from respcheck.session.repro import exchange_record

EXCHANGE_PARTS = "exchanges-*.jsonl"


class Recorder:
    def __init__(self, report_dir: Path | None, part: str, target: str) -> None:
        self.path = report_dir / f"exchanges-{part}.jsonl" if report_dir is not None else None
        self.target = target
        self.test: str | None = None  # node id of the test making the requests
        self.current: list[dict[str, Any]] = []  # the records of that test, in order
        self._out: TextIO | None = None

    def begin(self, test: str | None) -> None:
        """The test whose requests follow (None between tests)."""
        self.test = test
        self.current = []

    def __call__(self, exchange: Exchange) -> None:
        record = exchange_record(exchange)
        record["started_at"] = round(time.time() - (exchange.elapsed or 0.0), 6)  # wall clock, for the HAR
        record["test"] = self.test
        record["target"] = self.target
        record = redact_record(record)
        self.current.append(record)
        if self.path is None:
            return
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = open(self.path, "a", encoding="utf-8")  # noqa: SIM115  (kept open for the run)
        self._out.write(to_json_line(record) + "\n")  # strict JSON, whatever the target sent
        self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
