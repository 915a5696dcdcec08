"""Replay of a real browser HAR (tests/fixtures/har/, recorded by Playwright driving Chromium): the
entry outside the Responses API is skipped and counted (``--strict``: an error), the body the browser
did not keep is "not recorded" (never "empty"), each exchange is named by method and path with its curl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from respcheck.replay.load import LoadError, load

HAR = Path(__file__).parent / "fixtures" / "har" / "chromium-sdk-calls.har"


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "respcheck.cli", "replay", *args],
                          capture_output=True, text=True, timeout=120)


def test_the_browser_har_replays_with_exit_0_on_a_faithful_server() -> None:
    done = replay(str(HAR))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    last = done.stdout.strip().splitlines()[-1]
    assert last == ("7 exchanges judged under openai: 0 with errors, 1 not recorded, 0 unreadable, 1 skipped "
                    "outside the Responses API (GET /v1/models x1; --strict makes them errors)")
    assert "empty" not in done.stdout
    assert "not recorded  POST /v1/responses" in done.stdout and "net::ERR_ABORTED" in done.stdout


def test_strict_makes_the_outside_entry_an_error() -> None:
    done = replay("--strict", "-q", str(HAR))
    assert done.returncode == 2
    assert done.stderr.strip() == (f"respcheck: {HAR}: entry 0: not a Responses API request "
                                   "(GET /v1/models); remove it or filter the HAR to /v1/responses")


def test_each_exchange_is_named_by_method_and_path_with_its_curl() -> None:
    verdict = json.loads(replay("--json", str(HAR)).stdout)
    names = [v["name"] for v in verdict["exchanges"].values()]
    assert names[:2] == ["POST /v1/responses", "POST /v1/responses"]
    assert names.count("GET /v1/responses/{id}".replace("{id}", names[3].rsplit("/", 1)[-1])) == 2
    assert "DELETE /v1/responses/" in names[-2]
    for v in verdict["exchanges"].values():
        assert v["curl"].startswith("curl -sS") and "http://127.0.0.1:" in v["curl"]
        assert '"Authorization: Bearer $OPENAI_API_KEY"' in v["curl"]
    unrecorded = [v for v in verdict["exchanges"].values() if v["verdict"] == "not recorded"]
    assert len(unrecorded) == 1 and unrecorded[0]["findings"] == []
    assert verdict["summary"]["skipped"] == 1 and verdict["summary"]["not_recorded"] == 1


def test_a_findings_exchange_is_printed_under_its_name_with_a_repro(tmp_path: Path) -> None:
    har = json.loads(HAR.read_text())
    entry = har["log"]["entries"][1]  # the JSON create
    body = json.loads(entry["response"]["content"]["text"])
    body["usage"] = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}  # Chat's names
    entry["response"]["content"]["text"] = json.dumps(body)
    broken = tmp_path / "broken.har"
    broken.write_text(json.dumps(har))
    done = replay(str(broken))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    at = lines.index(f"POST /v1/responses  ({broken}#1)")
    assert lines[at + 1].startswith("  error")
    assert any(line.startswith("  repro: curl -sS -X POST 'http://127.0.0.1:") for line in lines[at:])


def test_the_loader_marks_what_is_outside_and_what_was_not_recorded() -> None:
    items = list(load([HAR]))
    outside = [i for i in items if isinstance(i, LoadError)]
    assert [i.outside for i in outside] == [True]
    unrecorded = [i for i in items if not isinstance(i, LoadError) and i.not_recorded]
    assert len(unrecorded) == 1
    assert unrecorded[0].events is None and unrecorded[0].body is None and unrecorded[0].body_text is None
