"""Coverage before depth (issue 10): every area's scenarios run before any generated test, generated
tests share what budget is left, and hypothesis neither shrinks nor explains against a live target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

from respcheck.coverage_first import coverage_order, fair_share, generated_left, is_generated
from respcheck.faults.layer import FaultLayer, resolve
from respcheck.server.run import start_server

KEY = "sk-respcheck-coverage-0123456789"


class Item:
    def __init__(self, name: str, generated: bool = False) -> None:
        self.name = name
        self.generated = generated

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "hypothesis" and self.generated else None


def test_generated_tests_run_after_every_scenario_each_keeping_its_order() -> None:
    items = [Item("g1", True), Item("a"), Item("g2", True), Item("b"), Item("c")]
    assert [i.name for i in coverage_order(items)] == ["a", "b", "c", "g1", "g2"]
    assert [is_generated(i) for i in items] == [True, False, True, False, False]


def test_each_generated_test_gets_its_share_of_what_is_left() -> None:
    items = [Item("a"), Item("g1", True), Item("g2", True), Item("g3", True)]
    assert generated_left(items, items[1]) == 3 and generated_left(items, items[3]) == 1
    assert fair_share(90, 3) == 30 and fair_share(1, 3) == 1 and fair_share(None, 3) is None


def test_the_live_profiles_neither_shrink_nor_explain() -> None:
    import respcheck.plugin  # noqa: F401  (registers the profiles)

    for name in ("smoke", "ci", "nightly"):
        phases = settings.get_profile(name).phases
        assert Phase.shrink not in phases and Phase.explain not in phases and Phase.generate in phases


def run(base_url: str, *args: str, report: Path) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "run", "--base-url", base_url, "--api-key-env",
         "COVERAGE_KEY", "--model", "gpt-4.1-mini", "--reasoning-model", "gpt-5-mini", "--vision-model",
         "gpt-4o-mini", "--budget-rps", "1000", "--report-dir", str(report), *args],
        capture_output=True, text=True, timeout=1500, env={**os.environ, "COVERAGE_KEY": KEY},
        cwd=report.parent)
    return done.returncode, json.loads((report / "summary.json").read_text()), done.stdout + done.stderr


def ran(summary: dict[str, Any]) -> dict[str, int]:
    """Per area, how many tests ran to a verdict (passed or failed)."""
    counts: dict[str, int] = {area: 0 for area in summary["areas"]}
    for test in summary["tests"]:
        counts[test["area"]] += test["outcome"] in ("passed", "failed")
    return counts


def test_a_relay_with_one_fault_and_the_default_budget_has_every_area_tested(tmp_path: Path) -> None:
    fault = resolve("usage_chat_names")
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, fault)) as server:
        code, summary, out = run(server.base_url, report=tmp_path / "r")  # the ad-hoc default: 500 requests
    assert code == 1, out[-3000:]
    assert summary["spend"]["requests"] <= 500
    untested = [area for area, n in ran(summary).items() if n == 0 and area != "differential"]
    assert untested == [], ran(summary)  # differential needs an upstream: unsupported ad hoc
    assert not [t for t in summary["tests"] if t["outcome"] == "budget"]


def _nightly(tmp_path: Path, budget: int) -> tuple[int, dict[str, Any], str]:
    with start_server(api_key=KEY) as server:
        return run(server.base_url, "--hypothesis-profile", "nightly", "--budget-requests", str(budget),
                   report=tmp_path / "r")


def _every_non_generated_test_ran(summary: dict[str, Any]) -> None:
    scenarios = [t for t in summary["tests"] if "test_generated" not in t["nodeid"]]
    missed = [(t["nodeid"], t["outcome"]) for t in scenarios if t["outcome"] not in ("passed", "unsupported")]
    assert scenarios and not missed, missed


def test_a_small_budget_with_the_nightly_profile_still_runs_every_scenario(tmp_path: Path) -> None:
    code, summary, out = _nightly(tmp_path, 450)
    assert code in (0, 3), out[-3000:]
    _every_non_generated_test_ran(summary)
    generated = [t for t in summary["tests"] if "test_generated" in t["nodeid"]]
    passed = [t for t in generated if t["outcome"] == "passed"]
    assert passed  # each got a share, not nothing; and the report says it ran fewer examples
    assert all(t["message"].startswith("at most ") and "of the profile's 200 examples" in t["message"]
               for t in passed)


@pytest.mark.slow
def test_the_nightly_profile_with_2000_requests_runs_every_non_generated_test(tmp_path: Path) -> None:
    code, summary, out = _nightly(tmp_path, 2000)
    assert code in (0, 3), out[-3000:]
    assert summary["spend"]["requests"] <= 2000
    _every_non_generated_test_ran(summary)
