"""The gate (issue 10): a baseline of known findings, check selection, per-target severity.

The acceptance runs are real ``respcheck run`` processes against the reference server with faults
from the catalogue switched on server-wide (as ``respcheck serve --fault`` does), the relay named in
a targets.yaml as a relay engineer names theirs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from respcheck.checks.policy import CheckPolicy, UnknownCheck, pattern_matches, require_known
from respcheck.config import ConfigError, parse_targets
from respcheck.faults.layer import FaultLayer, resolve
from respcheck.findings import Finding, Severity
from respcheck.server.run import start_server
from respcheck.session.baseline import KNOWN, BaselineError, Entry, Gate, load_baseline, write_baseline
from respcheck.session.events import TestFinished
from respcheck.session.target import target_from_data, target_to_data

KEY, KEY_ENV = "sk-gate-test-key-0123456789", "GATE_TEST_KEY"


def _run(work: Path, server_url: str, *args: str, extra: str = "") -> subprocess.CompletedProcess[str]:
    (work / "targets.yaml").write_text(
        "targets:\n  relay:\n"
        f"    base_url: {server_url}\n"
        f"    api_key_env: {KEY_ENV}\n"
        "    models: {text: gpt-4.1-mini, reasoning: gpt-5-mini, vision: gpt-4o-mini}\n" + extra
    )
    return subprocess.run(
        [sys.executable, "-m", "respcheck.cli", "run", "--target", "relay", "--suite", "create",
         "--hypothesis-profile", "smoke", *args],
        capture_output=True, text=True, timeout=300, cwd=work,
        env={**os.environ, KEY_ENV: KEY, "PYTHONUNBUFFERED": "1"},
    )


def _run_with_faults(work: Path, faults: str | None, *args: str,
                     extra: str = "") -> subprocess.CompletedProcess[str]:
    chosen = resolve(faults) if faults else []
    with start_server(api_key=KEY, app_wrapper=lambda app: FaultLayer(app, chosen)) as server:
        return _run(work, server.base_url, *args, extra=extra)


def _summary(done: subprocess.CompletedProcess[str], work: Path) -> dict:
    report = done.stdout.strip().splitlines()[-1].removeprefix("report: ")
    return json.loads((work / report / "summary.json").read_text())


def test_a_baseline_accepts_known_findings_fails_new_ones_and_reports_fixed_ones(tmp_path: Path):
    baseline = tmp_path / "baseline.yaml"
    written = _run_with_faults(tmp_path, "usage_chat_names", "--baseline", str(baseline), "--update-baseline")
    out = written.stdout + written.stderr
    assert written.returncode == 0, out[-3000:]
    entries = load_baseline(baseline)
    assert [(e.check, e.target) for e in entries] == [("usage.names", "relay")]

    known = _run_with_faults(tmp_path, "usage_chat_names", "--baseline", str(baseline))
    assert known.returncode == 0, (known.stdout + known.stderr)[-3000:]
    summary = _summary(known, tmp_path)
    assert summary["totals"].get("known", 0) >= 20 and not summary["totals"].get("failed")
    assert summary["baseline"]["new_checks"] == [] and summary["baseline"]["fixed"] == []

    both = _run_with_faults(tmp_path, "usage_chat_names,sequence_gap", "--baseline", str(baseline))
    assert both.returncode == 1, (both.stdout + both.stderr)[-3000:]
    assert _summary(both, tmp_path)["baseline"]["new_checks"] == ["stream.sequence_number.monotonic"]
    new_line = next(line for line in both.stdout.splitlines() if "NEW (not in the baseline" in line)
    assert new_line.split(": ", 1)[1] == "stream.sequence_number.monotonic"  # only the new check is named
    assert "new checks firing: stream.sequence_number.monotonic" in both.stdout  # changes since the last run

    fixed = _run_with_faults(tmp_path, "sequence_gap", "--baseline", str(baseline))
    assert fixed.returncode == 1
    assert _summary(fixed, tmp_path)["baseline"]["fixed"] == ["usage.names target=relay"]
    assert "fixed (no longer fires; --update-baseline drops it): usage.names target=relay" in fixed.stdout


def test_an_expired_entry_fails_the_run_with_a_clear_message(tmp_path: Path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"baseline": [
        {"check": "usage.names", "reason": "translating relay", "expires": "2020-01-31"}]}))
    done = _run_with_faults(tmp_path, None, "--baseline", str(baseline))
    assert done.returncode == 1, (done.stdout + done.stderr)[-3000:]
    assert ("EXPIRED (fails the run; renew its expires or fix it): usage.names (expired 2020-01-31; "
            "reason: translating relay)") in done.stdout
    assert "verdict: fail (exit 1)" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--checks", "usage.nams"],
     "respcheck: --checks: 'usage.nams' names no check (did you mean 'usage.names'?)"),
    (["--exclude-checks", "nothing.*"], "respcheck: --exclude-checks: 'nothing.*' names no check"),
    (["--baseline", "missing.yaml"], "respcheck: --baseline: missing.yaml does not exist"),
    (["--update-baseline"], "respcheck: --update-baseline: name the file to write with --baseline FILE"),
])
def test_a_bad_check_pattern_or_baseline_is_one_line_and_exit_2(tmp_path: Path, args: list[str],
                                                                message: str):
    done = _run(tmp_path, "http://127.0.0.1:9/v1", *args)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(message) and len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


def test_checks_and_exclude_checks_select_what_is_judged(tmp_path: Path):
    done = _run_with_faults(tmp_path, "usage_chat_names,sequence_gap", "--exclude-checks", "usage",
                            "--checks", "stream.*,usage.names")
    summary = _summary(done, tmp_path)
    assert set(summary["checks"]) == {"stream.sequence_number.monotonic"}
    assert done.returncode == 1


def test_a_targets_severity_map_turns_a_known_deviation_into_a_warning_or_off(tmp_path: Path):
    gap = "stream.sequence_number.monotonic"
    warned = _run_with_faults(tmp_path, "sequence_gap", extra=f"    severity: {{{gap}: warning}}\n")
    assert warned.returncode == 0, (warned.stdout + warned.stderr)[-3000:]
    assert set(_summary(warned, tmp_path)["checks"][gap]) == {"warning"}  # reported, not failing
    off = _run_with_faults(tmp_path, "sequence_gap", extra="    severity: {stream.sequence_number: off}\n")
    assert off.returncode == 0 and gap not in _summary(off, tmp_path)["checks"]


# -- units ----------------------------------------------------------------------------------------


def test_patterns_name_ids_prefixes_and_globs():
    assert pattern_matches("usage", "usage.names") and pattern_matches("usage.", "usage.names")
    assert not pattern_matches("usage", "usage_x.names") and not pattern_matches("usage.n", "usage.names")
    assert pattern_matches("stream.*.monotonic", "stream.sequence_number.monotonic")
    assert require_known(["usage", "sdk.create", "diff.*"], "--checks") == ("usage", "sdk.create", "diff.*")
    with pytest.raises(UnknownCheck, match=r"did you mean 'usage\.names'"):
        require_known(["usage.name"], "--checks")


def _finding(check_id: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(check_id, severity, "m", "/response/body", "clause", "ex1")


def test_a_policy_drops_unselected_checks_and_sets_the_targets_severity():
    policy = CheckPolicy(include=("usage", "stream"), exclude=("usage.total",),
                         severity={"stream.buffered": "off", "usage.names": "warning"})
    kept = policy.apply_all([("openai", _finding(c)) for c in
                             ("usage.names", "usage.total", "stream.buffered", "response.id", "stream.x")])
    assert [(f.check_id, f.severity) for _, f in kept] == [("usage.names", Severity.WARNING),
                                                           ("stream.x", Severity.ERROR)]


def test_targets_yaml_sets_a_checks_severity_per_target():
    config = parse_targets("targets:\n  r:\n    base_url: http://127.0.0.1:1/v1\n"
                           "    severity: {stream.buffered: off, usage.names: warning}\n")
    target = config.get("r")
    assert dict(target.severity) == {"stream.buffered": "off", "usage.names": "warning"}
    assert target_from_data(target_to_data(target)).severity == target.severity  # to the workers as data
    relay = "targets:\n  r:\n    base_url: http://127.0.0.1:1/v1\n"
    with pytest.raises(ConfigError, match=r"targets\.r\.severity\.usage\.nams: names no check \(did you"):
        parse_targets(relay + "    severity: {usage.nams: off}\n")
    with pytest.raises(ConfigError, match="severity"):
        parse_targets(relay + "    severity: {usage.names: loud}\n")


def _failed(nodeid: str, *check_ids: str) -> TestFinished:
    findings = [dict(_finding(c).to_dict()) for c in check_ids]
    return TestFinished(nodeid, outcome="failed", message="failed", findings=findings)


def test_the_gate_knows_a_failure_only_when_every_error_finding_is_accepted():
    gate = Gate([Entry("usage.names", "r1"), Entry("stream", "r2", test="test_streaming.py::*"),
                 Entry("response.id", "r3", target="other"),
                 Entry("usage.total", "r4", expires=dt.date(2020, 1, 1))],
                target="relay", today=dt.date(2026, 1, 1))
    tests = [_failed("test_create.py::a", "usage.names"),
             # stream.* is accepted only in the streaming tests
             _failed("test_create.py::b", "usage.names", "stream.sequence_number.monotonic"),
             _failed("test_streaming.py::c", "stream.sequence_number.monotonic", "usage.names"),
             _failed("test_create.py::d"),  # an assertion with no finding is always new
             _failed("test_create.py::e", "response.id"),  # another target's entry
             _failed("test_create.py::f", "usage.total")]  # an expired entry accepts nothing
    for test in tests:
        gate.classify(test)
    assert [t.outcome for t in tests] == [KNOWN, "failed", KNOWN, "failed", "failed", "failed"]
    verdict = gate.verdict(tests)
    assert verdict["new_checks"] == ["response.id", "stream.sequence_number.monotonic", "usage.total"]
    assert verdict["expired"] == ["usage.total (expired 2020-01-01; reason: r4)"] and gate.fails_run()
    assert verdict["fixed"] == []


def test_update_keeps_reasons_and_other_targets_and_drops_what_no_longer_fires(tmp_path: Path):
    entries = [Entry("usage.names", "kept reason", test="test_create.py::*", expires=dt.date(2030, 1, 1)),
               Entry("response.id", "fixed since", target="relay"),
               Entry("stream", "another relay's", target="other")]
    gate = Gate(entries, target="relay", update=True)
    tests = (_failed("test_create.py::a", "usage.names"),
             _failed("test_create.py::b", "stream.sequence_number.monotonic"))
    for test in tests:
        gate.classify(test)
        assert test.outcome == KNOWN
    path = tmp_path / "b.yaml"
    write_baseline(path, gate.updated_entries())
    again = load_baseline(path)
    assert [(e.check, e.reason, e.target) for e in again][:2] == [
        ("usage.names", "kept reason", None), ("stream", "another relay's", "other")]
    assert again[0].expires == dt.date(2030, 1, 1) and again[0].test == "test_create.py::*"
    assert [(e.check, e.target) for e in again[2:]] == [("stream.sequence_number.monotonic", "relay")]
    assert yaml.safe_load(path.read_text())["baseline"][2]["reason"].startswith("accepted ")


@pytest.mark.parametrize(("text", "message"), [
    ("baseline: {check: x}", "expected a list under 'baseline:'"),
    ("baseline:\n- check: usage.names\n", "'reason' is required"),
    ("baseline:\n- {check: usage.names, reason: r, when: 1}\n", "unknown key 'when'"),
    ("baseline:\n- {check: usage.nam, reason: r}\n", "names no check (did you mean 'usage.names'?)"),
    ("baseline:\n- {check: usage.names, reason: r, expires: soon}\n", "'soon' is not a date"),
    ("baseline: [", "--baseline: "),
])
def test_a_bad_baseline_file_is_one_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "b.yaml"
    path.write_text(text)
    with pytest.raises(BaselineError) as caught:
        load_baseline(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_chat_usage_names_as_a_warning_passes_every_scenario(tmp_path: Path):
    """A relay whose only deviation is Chat-style usage names, declared a warning: no scenario may fail
    on reading usage by OpenAI's names (a bare KeyError 'output_tokens' failed three create tests)."""
    done = _run_with_faults(tmp_path, "usage_chat_names", extra="    severity: {usage: warning}\n")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    summary = _summary(done, tmp_path)
    assert not summary["totals"].get("failed")
    assert set(summary["checks"]["usage.names"]) == {"warning"}
