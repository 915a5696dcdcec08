"""Replay loaders: respcheck JSONL, HAR 1.2 and VCR.py YAML all become the same Exchange."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import yaml

from respcheck.exchange import Exchange
from respcheck.replay.load import LoadError, load
from tests import recorded


def _stream_record() -> dict:
    return recorded.first(
        lambda r: r["streaming"] and r["provider"] == "openai" and len(r["response"]["events"]) > 5
    )


def _sse_text(record: dict) -> str:
    blocks = []
    for e in record["response"]["events"]:
        data = e["data"] if isinstance(e["data"], str) else json.dumps(e["data"])
        blocks.append((f"event: {e['event']}\n" if e["event"] else "") + f"data: {data}\n\n")
    return "".join(blocks)


def _har(entries: list[dict]) -> dict:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


def _har_entry(record: dict, body_text: str, url: str = "https://api.example.com/v1/responses") -> dict:
    return {
        "startedDateTime": "2026-01-01T00:00:00Z",
        "time": 1234,
        "request": {
            "method": record["request"]["method"],
            "url": url,
            "headers": [{"name": "Authorization", "value": "Bearer sk-test"}],
            "queryString": [],
            "postData": {"mimeType": "application/json", "text": json.dumps(record["request"]["body"])},
        },
        "response": {
            "status": record["response"]["status"],
            "headers": [{"name": "Content-Type", "value": record["response"]["content_type"]}],
            "content": {"mimeType": record["response"]["content_type"], "text": body_text},
        },
    }


def test_jsonl_fixture_round_trip(tmp_path: Path) -> None:
    from respcheck.replay.jsonl import exchange_from_record, exchange_to_record

    rec = _stream_record()
    ex = exchange_from_record(rec)
    again = exchange_from_record(exchange_to_record(ex))
    assert [e.json for e in again.events] == [e.json for e in ex.events]
    assert again.request.body == rec["request"]["body"]
    assert again.status == 200


def test_har_stream_equals_jsonl_stream(tmp_path: Path) -> None:
    rec = _stream_record()
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps(_har([_har_entry(rec, _sse_text(rec))])))
    (loaded,) = list(load([path]))
    assert not isinstance(loaded, LoadError)
    assert loaded.endpoint == "create"
    assert [e.json for e in loaded.events] == [e["data"] for e in rec["response"]["events"]]
    assert [e.event for e in loaded.events] == [e["event"] for e in rec["response"]["events"]]


def test_har_non_responses_entry_is_named_and_rest_still_loaded(tmp_path: Path) -> None:
    rec = recorded.first(lambda r: not r["streaming"] and r["endpoint"] == "create")
    good = _har_entry(rec, json.dumps(rec["response"]["body"]))
    other = _har_entry(rec, "{}", url="https://api.example.com/v1/models")
    other["request"]["method"] = "GET"
    path = tmp_path / "mixed.har"
    path.write_text(json.dumps(_har([other, good])))
    items = list(load([path]))
    errors = [i for i in items if isinstance(i, LoadError)]
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"{path}: entry 0: not a Responses API request (GET /v1/models)")
    exchanges = [i for i in items if not isinstance(i, LoadError)]
    assert len(exchanges) == 1 and exchanges[0].body == rec["response"]["body"]


def test_vcr_gzip_cassette(tmp_path: Path) -> None:
    rec = recorded.first(lambda r: not r["streaming"] and r["endpoint"] == "create")
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/responses",
                    "body": json.dumps(rec["request"]["body"]),
                    "headers": {"authorization": ["Bearer sk-x"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["gzip"]},
                    "body": {"string": gzip.compress(json.dumps(rec["response"]["body"]).encode())},
                },
            }
        ],
    }
    path = tmp_path / "cassette.yaml"
    path.write_text(yaml.safe_dump(cassette))
    (loaded,) = list(load([path]))
    assert not isinstance(loaded, LoadError)
    assert loaded.body == rec["response"]["body"]
    assert loaded.request.body == rec["request"]["body"]


def test_vcr_stream_cassette(tmp_path: Path) -> None:
    rec = _stream_record()
    cassette = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": "https://api.openai.com/v1/responses", "body": None},
                "response": {
                    "status": {"code": 200},
                    "headers": {"Content-Type": ["text/event-stream"]},
                    "body": {"string": _sse_text(rec)},
                },
            }
        ]
    }
    path = tmp_path / "stream.yml"
    path.write_text(yaml.safe_dump(cassette))
    (loaded,) = list(load([path]))
    assert len(loaded.events) == len(rec["response"]["events"])


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    bad_line = tmp_path / "bad.jsonl"
    rec = _stream_record()
    bad_line.write_text(json.dumps(rec) + "\n{not json\n" + json.dumps({"id": "x"}) + "\n")
    not_har = tmp_path / "broken.har"
    not_har.write_text("[]")
    not_vcr = tmp_path / "broken.yaml"
    not_vcr.write_text("a: [\n")
    items = list(load([bad_line, not_har, not_vcr, tmp_path / "missing.jsonl"]))
    errors = [str(i) for i in items if isinstance(i, LoadError)]
    assert errors[0].startswith(f"{bad_line}:2: not JSON")
    assert errors[1].startswith(f"{bad_line}:3: not an exchange record")
    assert errors[2].startswith(f"{not_har}: not a HAR 1.2 file")
    assert errors[3].startswith(f"{not_vcr}: not a VCR.py cassette")
    assert errors[4] == f"{tmp_path / 'missing.jsonl'}: no such file or folder"
    assert sum(not isinstance(i, LoadError) for i in items) == 1


def test_truncated_gzip_interaction_is_named(tmp_path: Path) -> None:
    rec = recorded.first(lambda r: not r["streaming"] and r["endpoint"] == "create")
    body = gzip.compress(json.dumps(rec["response"]["body"]).encode())
    cassette = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": "https://api.openai.com/v1/responses", "body": None},
                "response": {
                    "status": {"code": 200},
                    "headers": {"Content-Encoding": ["gzip"]},
                    "body": {"string": body[:-6]},
                },
            }
        ]
    }
    path = tmp_path / "cut.yaml"
    path.write_text(yaml.safe_dump(cassette))
    (loaded,) = list(load([path]))
    assert isinstance(loaded, LoadError)
    assert str(loaded).startswith(f"{path}: interaction 0: not a readable interaction (EOFError")


def test_jsonl_times_that_are_not_numbers_are_not_kept(tmp_path: Path) -> None:
    from respcheck.judge import judge

    rec = _stream_record()
    rec["response"]["elapsed"] = "slow"
    for event in rec["response"]["events"]:
        event["t"] = "0.5"
    path = tmp_path / "times.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    (loaded,) = list(load([path]))
    assert loaded.elapsed is None and all(e.arrived_at is None for e in loaded.events)
    judge(loaded)  # stream.buffered has no times to compare (it used to raise TypeError)


def test_jsonl_line_separators_inside_strings_do_not_split_a_record(tmp_path: Path) -> None:
    rec = recorded.first(lambda r: not r["streaming"] and r["endpoint"] == "create")
    rec["request"]["body"]["input"] = "one\u2028two\u2029three\x85four"
    path = tmp_path / "separators.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\r\n" + json.dumps(rec) + "\n", encoding="utf-8")
    loaded = list(load([path]))
    assert [type(i).__name__ for i in loaded] == ["Exchange", "Exchange"]
    assert loaded[0].request.body["input"] == "one\u2028two\u2029three\x85four"


def _nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_a_recorded_value_too_deep_to_judge_is_the_live_finding_not_a_crash(tmp_path: Path) -> None:
    """A JSONL record parses (Python reads ~1,000 levels) yet holds a body or event deeper than the
    live client parses: replay judges it as the same finding the live run gave (13.5)."""
    from respcheck.judge import judge

    json_record = recorded.first(
        lambda r: not r["streaming"] and r["endpoint"] == "create" and isinstance(r["response"]["body"], dict)
    )
    json_record["response"]["body"]["metadata"] = _nested(300)
    sse_record = recorded.first(lambda r: r["streaming"] and r["provider"] == "openai")
    last = [e for e in sse_record["response"]["events"] if isinstance(e["data"], dict)][-1]
    last["data"]["response"]["metadata"] = _nested(300)
    path = tmp_path / "deep.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (json_record, sse_record)), encoding="utf-8")

    body_exchange, stream_exchange = load([path])
    assert isinstance(body_exchange, Exchange) and isinstance(stream_exchange, Exchange)
    assert body_exchange.body is None and "nested deeper than 64 levels" in (
        " ".join(f.message for f in judge(body_exchange, "openai") if f.check_id == "body.json")
    )
    stream_findings = {f.check_id for f in judge(stream_exchange, "openai")}
    assert "stream.data.json" in stream_findings
