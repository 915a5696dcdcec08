"""The recorder writes off the request's path (a writer thread): nothing is lost, the order and the
test of each record hold, a secret never reaches the file, and a writing error reaches the caller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from respcheck.exchange import Exchange, Request
from respcheck.redact import register_secret
from respcheck.session.recording import QUEUED, Recorder


def _exchange(i: int, text: str = "hello") -> Exchange:
    request = Request("POST", "/v1/responses", body={"model": "m", "input": text})
    return Exchange(id=f"t/1/{i}", request=request,
                    status=200, headers={"content-type": "application/json"}, elapsed=0.01,
                    body={"id": f"resp_{i}", "object": "response", "status": "completed"})


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_record_is_written_in_order_with_its_test_by_close(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, "main", "served")
    count = 3 * QUEUED + 5  # more than the queue holds: the caller waits, nothing is dropped
    for i in range(count):
        if i % 100 == 0:
            recorder.begin(f"suites/test_x.py::test_{i // 100}")
        recorder(_exchange(i))
    recorder.close()
    records = _lines(tmp_path / "exchanges-main.jsonl")
    assert [r["response"]["body"]["id"] for r in records] == [f"resp_{i}" for i in range(count)]
    assert [r["test"] for r in records] == [f"suites/test_x.py::test_{i // 100}" for i in range(count)]
    assert {r["target"] for r in records} == {"served"}


def test_current_holds_every_record_of_the_running_test_and_only_its(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, "main", "served")
    recorder.begin("suites/test_x.py::test_a")
    for i in range(QUEUED + 1):
        recorder(_exchange(i))
    recorder.begin("suites/test_x.py::test_b")  # the writer may still be busy with test_a's records
    recorder(_exchange(1000))
    assert [r["response"]["body"]["id"] for r in recorder.current] == ["resp_1000"]
    recorder.close()
    assert len(_lines(tmp_path / "exchanges-main.jsonl")) == QUEUED + 2


def test_a_flushed_record_is_on_disk_before_close(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, "gw0", "served")
    recorder(_exchange(1))
    recorder.flush()
    assert [r["response"]["body"]["id"] for r in _lines(tmp_path / "exchanges-gw0.jsonl")] == ["resp_1"]
    recorder.close()


def test_a_secret_in_a_record_is_masked_in_the_file_and_in_current(tmp_path: Path) -> None:
    secret = "sk-recorder-secret-0123456789abcdef"
    register_secret(secret)
    recorder = Recorder(tmp_path, "main", "served")
    recorder(_exchange(1, text=f"my key is {secret}"))
    assert secret not in json.dumps(recorder.current)
    recorder.close()
    assert secret not in (tmp_path / "exchanges-main.jsonl").read_text(encoding="utf-8")


def test_a_writing_error_reaches_the_caller(tmp_path: Path) -> None:
    (tmp_path / "exchanges-main.jsonl").mkdir()  # the part cannot be opened for writing
    recorder = Recorder(tmp_path, "main", "served")
    recorder(_exchange(1))
    with pytest.raises(IsADirectoryError):
        recorder.flush()
    recorder(_exchange(2))  # told once; the next failure is told again
    with pytest.raises(IsADirectoryError):
        recorder.close()


def test_a_lone_record_is_written_without_a_flush_once_its_batch_lingered(tmp_path: Path) -> None:
    import time

    from respcheck.session.recording import LINGER

    recorder = Recorder(tmp_path, "main", "served")
    recorder(_exchange(1))  # far below a batch: written when the writer's wait ends anyway
    part = tmp_path / "exchanges-main.jsonl"
    deadline = time.monotonic() + 20 * LINGER + 5
    while not (part.exists() and part.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(LINGER / 4)
    assert [r["response"]["body"]["id"] for r in _lines(part)] == ["resp_1"]
    recorder.close()
