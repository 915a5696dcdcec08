"""examples/ci/: the GitHub Actions examples parse, and every repository file they run exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / "examples" / "ci").glob("*.yml"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_runs_only_files_that_exist(workflow: Path) -> None:
    loaded = yaml.safe_load(workflow.read_text())
    assert loaded["jobs"] and (loaded.get("on") or loaded.get(True))  # YAML 1.1 reads `on:` as True
    for used in re.findall(r"\b(targets/[\w./-]+\.(?:sh|py))", workflow.read_text()):
        assert (REPO / used).is_file(), f"{workflow.name} runs {used}, which does not exist"


def test_both_examples_are_there() -> None:
    assert {w.name for w in WORKFLOWS} == {"relay-gate.yml", "nightly-matrix.yml"}
