"""Hostile files (issue 13, lines 14-17): targets.yaml, replay recordings and `serve`'s arguments.

Each red-team finding is reproduced here: a file that used to take 40 s and gigabytes, or end in
"internal error", must now cost little and be one line naming the file (and line) and the fix.
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from respcheck.config import DEFAULT_MAX_BODY_BYTES, ConfigError, parse_targets
from respcheck.config.loader import MAX_DEPTH, YAMLProblem, load_yaml
from respcheck.replay.load import LoadError, load
from tests import recorded

GIB = 1 << 30
T = "targets:\n  x:\n    base_url: https://x.example/v1\n"


def respcheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "respcheck.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused command (never a traceback, never 'internal error')."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert " — " in lines[0], lines[0]  # always a fix after the dash
    return lines[0]


def cheap(action: Callable[[], Any], seconds: float = 5.0, megabytes: float = 64.0) -> Any:
    """Run ``action`` and assert it took little time and little Python memory (tracemalloc peak)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = action()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes, f"peak {peak:.0f} MB"
    return result


# Peak RSS is VmHWM: ru_maxrss of a child also counts the parent's memory at fork (a pytest worker's)
_LOAD_AND_MEASURE = """
import json, pathlib, re, sys, time
from respcheck.replay.load import LoadError, load
started = time.perf_counter()
items = [str(i) if isinstance(i, LoadError) else {"broken": i.broken, "body_text": len(i.body_text or "")}
         for i in load([pathlib.Path(sys.argv[1])])]
peak_kb = int(re.search(r"VmHWM:\\s*(\\d+)", pathlib.Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"items": items, "seconds": time.perf_counter() - started, "peak_rss_mb": peak_kb / 1024}))
"""


def load_in_a_subprocess(path: Path) -> dict[str, Any]:
    """What ``respcheck replay`` loads from ``path``, with its time and peak RSS (a fresh process)."""
    result = subprocess.run([sys.executable, "-c", _LOAD_AND_MEASURE, str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def laughs(levels: int = 9) -> str:
    """The "billion laughs" document: 9 aliases per level, 9**levels strings (about 570 bytes)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


# -- 14: billion laughs and decompression bombs ----------------------------------------------------


def test_billion_laughs_targets_yaml_is_refused_at_once() -> None:
    text = laughs() + T + "    description: *a8\n"
    assert len(text) < 800
    with pytest.raises(ConfigError) as caught:
        cheap(lambda: parse_targets(text, "targets.yaml"), seconds=1.0, megabytes=5.0)
    assert str(caught.value) == (
        "targets.yaml:2:10: alias *a0: anchors and aliases are not allowed in this file — "
        "write the value out in full"
    )


def test_even_a_harmless_alias_is_refused_in_targets_yaml() -> None:
    with pytest.raises(ConfigError, match=r"^targets.yaml:6:14: alias \*h: anchors and aliases are not"):
        parse_targets(T + "    headers: &h {X-A: b}\n  y:\n    headers: *h\n    base_url: https://y/v1\n")


def test_billion_laughs_cassette_is_one_load_error_in_little_time_and_memory(tmp_path: Path) -> None:
    cassette = tmp_path / "laughs.yaml"
    cassette.write_text(laughs() + "interactions:\n- request: {method: POST, uri: https://h/v1/responses, "
                        "body: *a8}\n  response: {status: {code: 200}, body: {string: '{}'}}\n")
    assert cassette.stat().st_size < 800
    (item,) = cheap(lambda: list(load([cassette])), seconds=2.0, megabytes=20.0)
    assert isinstance(item, LoadError)
    assert re.fullmatch(
        f"{re.escape(str(cassette))}: not a VCR.py cassette \\(line \\d: aliases expand the document by "
        "more than 1,000,000 characters \\(a 'billion laughs' file\\) — write the values out or remove the "
        "aliases\\)",
        str(item),
    ), str(item)


def test_the_aliases_pyyaml_writes_for_shared_objects_still_load(tmp_path: Path) -> None:
    rec = recorded.first(lambda r: not r["streaming"] and r["endpoint"] == "create")
    headers = {"Content-Type": ["application/json"]}  # one object twice: PyYAML writes &id001 / *id001
    interaction = {
        "request": {"method": "POST", "uri": "https://api.openai.com/v1/responses", "body": None,
                    "headers": headers},
        "response": {"status": {"code": 200}, "headers": headers,
                     "body": {"string": json.dumps(rec["response"]["body"])}},
    }
    text = yaml.safe_dump({"interactions": [interaction]})
    assert "&id001" in text and "*id001" in text
    path = tmp_path / "shared.yaml"
    path.write_text(text)
    (loaded,) = list(load([path]))
    assert not isinstance(loaded, LoadError) and loaded.body == rec["response"]["body"]


def test_an_alias_cycle_is_refused() -> None:
    with pytest.raises(YAMLProblem, match=r"alias \*a refers to a value that contains it \(a cycle\)"):
        load_yaml("a: &a [1, *a]\n")


def _gzip_bomb(total: int) -> bytes:
    """Gzip of ``total`` zero bytes, as members of 16 MiB each (valid gzip; quick to build)."""
    member = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
    return member * (total // (16 << 20))


def _cassette(path: Path, body: bytes, encoding: str) -> Path:
    interaction = {
        "request": {"method": "POST", "uri": "https://api.openai.com/v1/responses", "body": None},
        "response": {"status": {"code": 200},
                     "headers": {"Content-Type": ["application/json"], "Content-Encoding": [encoding]},
                     "body": {"string": body}},
    }
    path.write_text(yaml.safe_dump({"interactions": [interaction]}))
    return path


@pytest.mark.parametrize(
    ("encoding", "layers"),
    [pytest.param("gzip", 1, id="gzip-1GiB"), pytest.param("gzip, gzip", 2, id="gzip-gzip-1GiB")],
)
def test_a_gzip_bomb_cassette_is_cut_at_the_live_body_cap(tmp_path: Path, encoding: str, layers: int) -> None:
    body = _gzip_bomb(GIB)
    if layers == 2:
        body = gzip.compress(body, compresslevel=9)
    path = _cassette(tmp_path / "bomb.yaml", body, encoding)
    assert path.stat().st_size < 1_600_000  # the red team's was 1.4 MB
    loaded = load_in_a_subprocess(path)
    # before: 2.1 GB. ~4 s on an idle machine; the bound leaves room for a loaded CI box
    assert loaded["peak_rss_mb"] < 200 and loaded["seconds"] < 60, loaded
    cut = f"the body exceeded max_body_bytes ({DEFAULT_MAX_BODY_BYTES} bytes); respcheck stopped reading it"
    assert loaded["items"] == [{"broken": cut, "body_text": DEFAULT_MAX_BODY_BYTES}]


def test_a_body_within_the_cap_is_decoded_through_every_layer() -> None:
    from respcheck.replay.body import decode_body

    body = b'{"object": "response"}'
    assert decode_body(gzip.compress(gzip.compress(body)), "gzip, gzip") == (body, None)
    assert decode_body(zlib.compress(body), "deflate") == (body, None)
    raw = zlib.compressobj(wbits=-15)
    assert decode_body(raw.compress(body) + raw.flush(), "deflate") == (body, None)
    assert decode_body(gzip.compress(body), "") == (body, None)  # VCR.py at times drops the header
    with pytest.raises(ValueError, match="Content-Encoding 'br' is not one respcheck can decode"):
        decode_body(body, "br")


# -- 15: timeouts, budgets and rates are finite and within their documented ranges ---------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("timeouts: {total: .inf}",
         "timeouts.total: expected a number, got .inf — set a number > 0 and ≤ 3600"),
        ("timeouts: {total: .nan}",
         "timeouts.total: expected a number, got .nan — set a number > 0 and ≤ 3600"),
        ("timeouts: {connect: -.inf}", "timeouts.connect: expected a number, got -.inf — set a number > 0"),
        ("timeouts: {first_byte: -1}",
         "timeouts.first_byte: -1 is out of range — set a value > 0 and ≤ 3600"),
        ("timeouts: {between_events: 0}", "timeouts.between_events: 0 is out of range — set a value > 0"),
        ("timeouts: {total: 1e300}", "timeouts.total: 1e+300 is out of range — set a value > 0 and ≤ 3600"),
        ("budget: {requests_per_second: .nan}",
         "budget.requests_per_second: expected null or a number, got .nan — set a number ≥ 0.01 and ≤ 10000"),
        ("budget: {requests_per_second: 1e-300}",
         "budget.requests_per_second: 1e-300 is out of range — set a value ≥ 0.01 and ≤ 10000"),
        ("budget: {requests: 0}", "budget.requests: 0 is out of range — set a value ≥ 1 and ≤ 10000000"),
        ("budget: {requests: 100000000000000000000}",
         "budget.requests: 100000000000000000000 is out of range"),
        ("budget: {output_tokens: .inf}",
         "budget.output_tokens: expected an integer or null, got .inf — set a whole number ≥ 1 and "
         "≤ 1000000000"),
        ("budget: {requests: 5.0}",
         "budget.requests: expected an integer or null, got 5.0 — set a whole number"),
        ("retries: {max_wait: .inf}",
         "retries.max_wait: expected a number, got .inf — set a number ≥ 0 and ≤ 600"),
        ("max_body_bytes: 1e12",
         "max_body_bytes: expected an integer, got 1000000000000.0 — set a whole number ≥ 1024 and "
         "≤ 1073741824"),
    ],
)
def test_numbers_are_finite_and_in_range(value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_targets(f"{T}    {value}\n", "targets.yaml")
    assert str(caught.value).startswith(f"targets.yaml:4: targets.x.{expected}"), str(caught.value)


def test_numbers_inside_the_ranges_are_kept() -> None:
    x = parse_targets(T + "    timeouts: {total: 3600, connect: 0.5}\n"
                      "    budget: {requests_per_second: 1e-2}\n    max_body_bytes: 1073741824\n").get("x")
    assert x.timeouts.total == 3600 and x.timeouts.connect == 0.5
    assert x.budget.requests_per_second == 0.01 and x.max_body_bytes == GIB


# -- 16: odd keys, deep files, serve's arguments: one line with file:line and the fix ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("targets:\n  ? [a, b]\n  : {base_url: https://x/v1}\n",
                     "targets.yaml:2:5: a key must be a name, not a list or mapping — write a plain name",
                     id="unhashable-key"),
        pytest.param("targets:\n  ~: {base_url: https://x/v1}\n",
                     "targets.yaml:2: targets.~: '~' is not a valid name — use letters, digits",
                     id="name-tilde"),
        pytest.param(T + "    description: " + "[" * 5000 + "]" * 5000 + "\n",
                     f"targets.yaml:4:{18 + MAX_DEPTH}: nested deeper than {MAX_DEPTH} levels — flatten",
                     id="5000-deep"),
        pytest.param("targets:\n  x:\n    base_url: https://x/v1\n    headers:\n      ? {a: 1}\n      : b\n",
                     "targets.yaml:5:9: a key must be a name, not a list or mapping", id="mapping-key"),
    ],
)
def test_odd_keys_and_deep_files_are_one_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        cheap(lambda: parse_targets(text, "targets.yaml"), seconds=2.0)
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value)


def test_names_yaml_1_1_would_read_as_bool_or_int_are_the_text_written() -> None:
    config = parse_targets("targets:\n  yes: {base_url: https://y/v1}\n  123: {base_url: https://n/v1}\n"
                           "  off: {base_url: https://o/v1}\n")
    assert config.names() == ["reference", "yes", "123", "off"]
    assert config.get("123").base_url == "https://n/v1"
    with pytest.raises(ConfigError, match=r"^targets.yaml:2: targets.-1: '-1' is not a valid name"):
        parse_targets("targets:\n  -1: {base_url: https://y/v1}\n")


def test_the_cli_says_one_line_for_each_hostile_targets_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    for text in (laughs() + T + "    description: *a8\n", T + "    timeouts: {total: .nan}\n",
                 "targets:\n  ? [a]\n  : {base_url: https://x/v1}\n", "targets: " + "[" * 5000):
        path.write_text(text)
        line = one_line_exit_2(respcheck("targets", "--targets-file", str(path)))
        assert line.startswith(f"respcheck: {path}:"), line


def test_serve_port_out_of_range_is_one_line() -> None:
    line = one_line_exit_2(respcheck("serve", "--port", "70000"))
    assert line == "respcheck: --port 70000: not a TCP port — choose one from 1 to 65535, or 0 for a free one"


def _corrupt(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)


def _foreign_table(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (id INTEGER)")


def _foreign_columns(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE responses (x)")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_corrupt, "cannot read it as SQLite"),
        (_foreign_table, "not a respcheck serve database (it has table 'runs')"),
        (_foreign_columns, "not a respcheck serve database (table 'responses' has no column 'body')"),
        (lambda p: p.mkdir(), "is a folder"),
    ],
)
def test_serve_refuses_a_db_it_cannot_use_in_one_line(tmp_path: Path, make: Callable[[Path], None],
                                                      expected: str) -> None:
    db = tmp_path / "x.db"
    make(db)
    before = db.read_bytes() if db.is_file() else None
    line = one_line_exit_2(respcheck("serve", "--port", "0", "--db", str(db)))
    assert line.startswith(f"respcheck serve: --db {db}: {expected}"), line
    assert line.endswith("— pass a new file name (it is created) or the --db of an earlier respcheck serve")
    assert before is None or db.read_bytes() == before  # refused before anything was written


def test_serve_accepts_its_own_db() -> None:
    import tempfile

    from respcheck.server.run import db_problem, start_server

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "serve.db"
        assert db_problem(db) is None  # a new file
        with start_server(db_path=db):
            pass
        assert db_problem(db) is None  # one an earlier serve wrote


# -- 17: replay folders: a bad file is one line, the rest judged; repeated ids each counted ----------


def _good_record() -> dict[str, Any]:
    return recorded.first(
        lambda r: r["provider"] == "openai" and not r["streaming"] and r["endpoint"] == "create"
    )


def _deep_files(folder: Path) -> Iterator[Path]:
    deep = "[" * 100_000 + "]" * 100_000
    (folder / "a-deep.jsonl").write_text('{"id": "d", "request": ' + deep + "}\n")
    yield folder / "a-deep.jsonl"
    (folder / "b-deep.har").write_text('{"log": {"entries": ' + deep + "}}")
    yield folder / "b-deep.har"
    (folder / "c-deep.yaml").write_text("interactions: " + "[" * 5000 + "]" * 5000 + "\n")
    yield folder / "c-deep.yaml"
    body = json.dumps(_good_record()["response"]["body"])
    sse = "data: " + deep + "\n\n"
    har = {"log": {"entries": [{
        "request": {"method": "POST", "url": "https://h/v1/responses", "headers": []},
        "response": {"status": 200, "headers": [], "content": {"mimeType": "text/event-stream", "text": sse}},
    }, {
        "request": {"method": "POST", "url": "https://h/v1/responses", "headers": []},
        "response": {"status": 200, "headers": [],
                     "content": {"mimeType": "application/json", "text": body}},
    }]}}
    (folder / "d-deep-event.har").write_text(json.dumps(har))  # readable: deep event data is a finding


def test_a_deep_file_in_a_replay_folder_is_one_line_and_the_rest_is_judged(tmp_path: Path) -> None:
    bad = list(_deep_files(tmp_path))
    good = _good_record()
    (tmp_path / "z-good.jsonl").write_text(json.dumps(good) + "\n")
    result = respcheck("replay", str(tmp_path), "--json")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(bad)
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"respcheck: {path}"), line
    verdict = json.loads(result.stdout)
    event_har = tmp_path / "d-deep-event.har"
    assert sorted(verdict["exchanges"]) == sorted([good["id"], f"{event_har}#0", f"{event_har}#1"])
    assert verdict["summary"]["exchanges"] == 3 and verdict["summary"]["unreadable"] == len(bad)


def test_exchanges_with_the_same_id_are_each_judged_and_counted(tmp_path: Path) -> None:
    rec = _good_record()
    path = tmp_path / "same.jsonl"
    path.write_text((json.dumps(rec) + "\n") * 300)
    result = respcheck("replay", str(path), "-q")
    assert result.returncode in (0, 1), result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("300 exchanges judged under openai"), result.stdout
    verdict = json.loads(respcheck("replay", str(path), "--json").stdout)
    assert verdict["summary"]["exchanges"] == 300
    assert list(verdict["exchanges"])[:3] == [rec["id"], f"{rec['id']}#2", f"{rec['id']}#3"]


def test_a_line_that_is_not_utf8_is_one_line_and_the_rest_is_read(tmp_path: Path) -> None:
    rec = _good_record()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "\xff"}\n' + json.dumps(rec).encode() + b"\n")
    items = list(load([path]))
    assert str(items[0]).startswith(f"{path}:1: not UTF-8 (invalid start byte at byte 8)")
    assert not isinstance(items[1], LoadError) and items[1].id == rec["id"]
