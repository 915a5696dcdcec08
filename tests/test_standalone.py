"""The repository stands alone, and an installed respcheck needs no checkout at all.

A user's clone has nothing beside it, and a user of the wheel has no clone: these tests
prove both, the second by installing the package (not editable) into a fresh virtualenv
and running the four commands a user runs from an empty folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from respcheck.faults.catalogue import by_kind

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "recordings" / "simonw__llm" / "tests" / "cassettes"


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout (an sdist): walk the tree instead
        return [p for p in REPO.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [REPO / name for name in listed.stdout.decode().split("\0") if name]


def test_nothing_in_the_repository_names_a_folder_beside_it() -> None:
    beside = "../" + "shared"  # spelled apart so that this file does not name it either
    naming = [
        str(path.relative_to(REPO))
        for path in _tracked_files()
        if path.is_file() and beside in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert naming == []


def test_what_the_tests_read_is_inside_the_repository() -> None:
    from tests import recorded

    for folder in (recorded.RECORDINGS, recorded.SPECS, recorded.DOCS):
        assert folder.is_dir() and folder.resolve().is_relative_to(REPO), folder
    assert len(recorded.records()) == 464


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with respcheck installed from this checkout as a wheel (not editable)."""
    env_dir = tmp_path_factory.mktemp("wheel-venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(REPO)],
        capture_output=True, text=True, timeout=540, check=False,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    return env_dir


def _respcheck(env_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "RESPCHECK"))}
    environ["PYTHONPATH"] = ""  # nothing of the checkout on the path
    return subprocess.run(
        [str(env_dir / "bin" / "respcheck"), *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, env=environ, check=False,
    )


def test_the_wheel_carries_no_specs_or_fixtures(installed: Path) -> None:
    site = next(installed.glob("lib/python*/site-packages"))
    package = site / "respcheck"
    assert (package / "_schemas" / "openai" / "response.json").is_file()
    assert (package / "_suites" / "test_streaming.py").is_file()
    shipped = {p.name for p in package.rglob("*")}
    assert "openai-openapi.json" not in shipped and "recordings" not in shipped
    assert not (site / "specs").exists() and not (site / "tests").exists()


def test_an_installed_respcheck_runs_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"

    run = _respcheck(installed, empty, "run", "--report-dir", str(out / "run"))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads((out / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "pass" and summary["totals"]["passed"] > 0

    # the whole catalogue, the real suites under pytest from the wheel: every fault killed, as in a checkout
    elsewhere = tmp_path / "empty-too"
    elsewhere.mkdir()
    selftest = _respcheck(installed, elsewhere, "selftest", "--json", str(out / "selftest.json"))
    assert selftest.returncode == 0, selftest.stdout[-3000:] + selftest.stderr[-3000:]
    score = json.loads((out / "selftest.json").read_text(encoding="utf-8"))["score"]
    assert score["baseline_clean"] and score["all_ok"]
    assert score["contract"] == {"total": len(by_kind("contract")), "killed": len(by_kind("contract"))}
    assert score["transport"] == {"total": len(by_kind("transport")), "ok": len(by_kind("transport"))}
    assert score["benign"] == {"total": len(by_kind("benign")), "clean": len(by_kind("benign"))}
    assert list(elsewhere.iterdir()) == []  # nothing written where it ran

    replay = _respcheck(installed, empty, "replay", str(FIXTURE), "--json")
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert len(json.loads(replay.stdout)["exchanges"]) == 13

    schemas = _respcheck(installed, empty, "schemas", "build", "--out", str(out / "schemas"),
                         "--specs", str(REPO / "specs"))
    assert schemas.returncode == 0, schemas.stderr
    built = sorted(p.relative_to(out / "schemas") for p in (out / "schemas").rglob("*.json"))
    committed = sorted(p.relative_to(REPO / "schemas") for p in (REPO / "schemas").rglob("*.json"))
    assert built == committed
    assert all((out / "schemas" / p).read_bytes() == (REPO / "schemas" / p).read_bytes() for p in built)


def test_an_installed_schemas_build_without_specs_says_what_to_pass(installed: Path, tmp_path: Path) -> None:
    result = _respcheck(installed, tmp_path, "schemas", "build", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "pass --specs DIR" in result.stderr and "Traceback" not in result.stderr


if sys.platform == "win32":  # pragma: no cover - the venv layout above is POSIX
    pytestmark = pytest.mark.skip("POSIX virtualenv layout")


def test_plain_pytest_from_an_installed_respcheck_finds_the_suites(installed: Path, tmp_path: Path) -> None:
    """``pytest --target reference --report-dir D`` with no path and no --pyargs: the installed
    suites run, and the report folder is the one ``respcheck run`` writes (JUnit, Allure included)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "RESPCHECK"))}
    environ["PYTHONPATH"] = ""
    report = tmp_path / "report"
    done = subprocess.run(
        [str(installed / "bin" / "python"), "-m", "pytest", "--target", "reference", "--report-dir",
         str(report), "-k", "unknown", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=environ, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert {p.name for p in report.iterdir()} == {
        "summary.json", "findings.ndjson", "exchanges.jsonl", "exchanges.har", "index.html", "junit.xml",
        "allure-results",
    }
    summary = json.loads((report / "summary.json").read_text())
    assert summary["tests"] and summary["totals"] == {"passed": len(summary["tests"])}
