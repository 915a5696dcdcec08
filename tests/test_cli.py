"""The command line: exit codes and one-line errors, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests import recorded


def respcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "respcheck.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_checks_lists_every_registered_check() -> None:
    from respcheck.checks import all_checks

    result = respcheck("checks", "--json")
    assert result.returncode == 0
    listed = [row["id"] for row in json.loads(result.stdout)]
    assert listed == [c.id for c in all_checks()]


def test_replay_missing_path_is_one_line_exit_2(tmp_path: Path) -> None:
    result = respcheck("replay", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"respcheck: {tmp_path / 'nope'}: no such file or folder"
    assert "Traceback" not in result.stderr


def test_replay_unknown_profile_exit_2(tmp_path: Path) -> None:
    result = respcheck("replay", str(tmp_path), "--profile", "openia")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("respcheck: unknown profile 'openia'; choose one of: openai")


def test_replay_malformed_line_names_file_and_line_and_judges_the_rest(tmp_path: Path) -> None:
    rec = recorded.first(lambda r: r["provider"] == "openai" and not r["streaming"])
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rec) + "\n{oops\n")
    result = respcheck("replay", str(path), "--json")
    assert result.returncode == 2
    assert result.stderr.startswith(f"respcheck: {path}:2: not JSON")
    assert len(result.stderr.strip().splitlines()) == 1
    verdict = json.loads(result.stdout)
    assert list(verdict["exchanges"]) == [rec["id"]]
    assert verdict["summary"]["unreadable"] == 1


def test_replay_error_finding_exits_1(tmp_path: Path) -> None:
    rec = recorded.first(
        lambda r: (
            r["provider"] == "openai"
            and not r["streaming"]
            and r["response"]["status"] == 200
            and r["endpoint"] == "create"
        )
    )
    rec["response"]["body"]["object"] = "chat.completion"
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    result = respcheck("replay", str(path), "--json")
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["exchanges"][rec["id"]]["verdict"] == "fail"


def test_a_usage_mistake_is_one_line_exit_2() -> None:
    result = respcheck("run", "--budget-requests", "ten")
    assert result.returncode == 2
    assert result.stderr == (
        "respcheck: Invalid value for '--budget-requests': 'ten' is not a valid integer. "
        "(respcheck run --help lists the options)\n"
    )
    unknown = respcheck("replay-all")
    assert unknown.returncode == 2 and len(unknown.stderr.splitlines()) == 1
    assert respcheck("--version").returncode == 0


def test_targets_lists_each_target_and_what_to_export() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("MIXROUTE_API_KEY", "TWELVEAI_API_KEY")}
    result = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "targets"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) >= {"reference", "mixroute", "newapi", "12ai"}
    assert lines["reference"].rstrip().endswith("ready")
    assert "export MIXROUTE_API_KEY=<your key>" in lines["mixroute"]


def test_schemas_build_without_specs_is_one_line_exit_2(tmp_path: Path) -> None:
    result = respcheck("schemas", "build", "--specs", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.startswith("respcheck: ") and "openai-openapi.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
