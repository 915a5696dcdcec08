"""The recorder: every exchange a process sends, redacted, appended to its own part of the report
(``exchanges-<worker>.jsonl``), so memory does not grow with the run. The ``exchanges.jsonl``
handler (respcheck.reports.exchanges) joins the parts at the end. The running test's records are
also kept (``current``, until the next test) for its failure's repro.

Redacting and writing a record costs more than half a millisecond (a whole Response, or every
event of a stream, serialised twice), so it happens off the request's path: the caller only takes
the record and queues it; one writer thread redacts, writes and flushes, in order. The writer is
woken once per ``BATCH`` records (or ``LINGER`` seconds), not per record: waking a thread per
request cost a thread switch per request on a loaded machine. At most ``QUEUED`` records wait, so
a slow disk slows the run instead of growing memory. ``flush`` waits until every queued record
is written; ``current`` and ``close`` flush first, so the repro of a test and the file at the end
hold every record. A writing error is raised to the caller at its next call (or at
``flush``/``close``), never lost.

The running test and its records belong to the thread (strictly, the ``contextvars`` context) that
runs it: under ``--concurrency N`` several tests record at once, each seeing only its own; a thread a
test starts to send for it (``generate.ahead``) carries the test's context along.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from respcheck.exchange import Exchange
from respcheck.redact import redact_record_line
from respcheck.session.per_test import PerTest
from respcheck.session.repro import exchange_record

EXCHANGE_PARTS = "exchanges-*.jsonl"
# Records waiting for the writer at most: enough to ride out a slow write, bounded so that memory
# stays flat whatever the disk does (a waiting record mostly shares its body with its exchange).
QUEUED = 64
BATCH = 16  # records queued before the writer is woken
LINGER = 0.2  # seconds a record waits at most for its batch

_Job = tuple[dict[str, Any], list[dict[str, Any]]]  # a record, the list of the test it belongs to


@dataclass
class _Running:
    test: str | None = None  # node id of the test making the requests
    records: list[dict[str, Any]] = field(default_factory=list)  # that test's records, in order, once written


class Recorder:
    def __init__(self, report_dir: Path | None, part: str, target: str) -> None:
        self.path = report_dir / f"exchanges-{part}.jsonl" if report_dir is not None else None
        self.target = target
        self._running = PerTest(f"respcheck-recorder-{id(self)}", _Running)
        self._out: TextIO | None = None
        self._pending: deque[_Job] = deque()
        self._queued = 0  # records handed to the writer so far
        self._written = 0  # of them, written (or dropped after an error)
        self._wanted = 0  # the writer must not wait for a batch: a flush wants everything up to here
        self._stopping = False
        self._state = threading.Condition()  # guards the above; wakes the writer and the waiting callers
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None

    def _here(self) -> _Running:
        """The running test of this thread (context), made on first use."""
        return self._running.get()

    @property
    def test(self) -> str | None:
        """Node id of the test making the requests (in this thread)."""
        return self._here().test

    @test.setter
    def test(self, test: str | None) -> None:
        self._here().test = test

    def begin(self, test: str | None) -> None:
        """The test whose requests follow (None between tests), in this thread."""
        self._running.set(_Running(test))

    @property
    def current(self) -> list[dict[str, Any]]:
        """The running test's records (in this thread), redacted, in order: every one recorded so far."""
        self.flush()
        return self._here().records

    def __call__(self, exchange: Exchange) -> None:
        self._raise_error()
        record = exchange_record(exchange)  # now: the exchange may change once returned to the test
        record["started_at"] = round(time.time() - (exchange.elapsed or 0.0), 6)  # wall clock, for the HAR
        running = self._here()
        record["test"] = running.test
        record["target"] = self.target
        with self._state:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_all, name="respcheck-recorder",
                                                daemon=True)
                self._writer.start()
            self._pending.append((record, running.records))
            self._queued += 1
            if len(self._pending) >= BATCH:
                self._state.notify_all()
            while len(self._pending) >= QUEUED:  # the writer is behind: wait for it, memory stays flat
                self._wanted = max(self._wanted, self._queued)
                self._state.notify_all()
                self._state.wait()

    def flush(self) -> None:
        """Wait until every record queued so far is written (and raise what writing raised)."""
        with self._state:
            if self._writer is not None:
                self._wanted = max(self._wanted, self._queued)
                self._state.notify_all()
                self._state.wait_for(lambda: self._written >= self._wanted)
        self._raise_error()

    def close(self) -> None:
        """Write what is queued, stop the writer and close the file (raises a writing error)."""
        with self._state:
            writer, self._writer = self._writer, None
            self._stopping = True
            self._state.notify_all()
        if writer is not None:
            writer.join()
        with self._state:
            self._stopping = False
        if self._out is not None:
            self._out.close()
            self._out = None
        self._raise_error()

    def _write_all(self) -> None:
        while True:
            with self._state:
                if len(self._pending) < BATCH and self._written >= self._wanted and not self._stopping:
                    self._state.wait(LINGER)  # until a batch is full, a flush wants it, or a while
                jobs = list(self._pending)
                self._pending.clear()
                stop = self._stopping and not jobs
            if stop:
                return
            if not jobs:
                continue
            for job in jobs:
                try:
                    if self._error is None:  # after a failure, drop the rest (the caller is told)
                        self._write(*job)
                except BaseException as exc:  # raised again in the caller's thread
                    self._error = exc
            with self._state:
                self._written += len(jobs)
                self._state.notify_all()

    def _write(self, record: dict[str, Any], test_records: list[dict[str, Any]]) -> None:
        record, line = redact_record_line(record)  # strict JSON, whatever the target sent
        test_records.append(record)
        if self.path is None:
            return
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = open(self.path, "a", encoding="utf-8")  # noqa: SIM115  (kept open for the run)
        self._out.write(line + "\n")
        self._out.flush()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
