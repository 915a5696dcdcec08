"""``respcheck run``: check the target, run the suites under pytest, print and write the verdict.

Before pytest starts, the target is resolved (a bad targets.yaml or option is one line,
exit 2) and, for a remote target, a TCP connection is tried (an unreachable target is one
line, exit 2, within the connect timeout): nothing is spent on a target that cannot answer.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from respcheck.checks.policy import UnknownCheck, require_known, split_patterns
from respcheck.client import (
    KEY_REFUSED_PREFIX,
    REFUSED_STATUSES,
    BudgetExhausted,
    ResponsesClient,
    TargetUnreachable,
    refused_message,
)
from respcheck.config import ConfigError, Target
from respcheck.options import as_pytest_args
from respcheck.reports.progress import OFF, PROGRESS_MODES, default_mode
from respcheck.resources import suites_root
from respcheck.selection import TargetOptions, select_target
from respcheck.session.baseline import BaselineError, load_baseline
from respcheck.session.session import Handoff
from respcheck.session.tally import EXIT_COULD_NOT_RUN, EXIT_INTERRUPTED

SUITES = (
    "create",
    "streaming",
    "lifecycle",
    "background",
    "conversation",
    "tools",
    "structured",
    "reasoning",
    "inputs",
    "errors",
    "generated",
    "sdk",
    "differential",
)


class CannotRun(Exception):
    """The run cannot start: the message is one line for the user (exit 2)."""


@dataclass(frozen=True)
class RunOptions:
    target: TargetOptions
    suites: tuple[str, ...] = ()
    keyword: str | None = None
    workers: str = "0"
    hypothesis_profile: str = "ci"
    report_dir: Path | None = None
    verbose: bool = False
    details: bool = False  # every failing test's own section (pytest's), not only the root causes
    pytest_args: tuple[str, ...] = ()  # passed through to pytest as they are (after ``--``)
    gate: dict[str, Any] = field(default_factory=dict)  # --checks, --exclude-checks, --baseline...


def preflight(target: Target) -> None:
    """Fail fast, in one line, when the target cannot be reached."""
    if target.embedded:
        return
    url = target.resolved_base_url()
    parts = urlsplit(url or "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=target.timeouts.connect):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError | socket.timeout):
            reason = f"no answer within {target.timeouts.connect:g} s"
        raise CannotRun(
            f"cannot connect to {url}: {reason} — check the URL and that the server is up"
        ) from None


def gate_problem(gate: dict[str, Any]) -> None:
    """A check pattern naming no check, or an unusable baseline file: one line (exit 2), before
    anything is sent."""
    try:
        for name in ("checks", "exclude_checks"):
            require_known(split_patterns(gate.get(name)), "--" + name.replace("_", "-"))
        baseline = gate.get("baseline")
        if gate.get("update_baseline") and not baseline:
            raise CannotRun("--update-baseline: name the file to write with --baseline FILE")
        if baseline and not (gate.get("update_baseline") and not Path(baseline).exists()):
            load_baseline(Path(baseline))
    except (UnknownCheck, BaselineError) as exc:
        raise CannotRun(str(exc)) from None


def key_preflight(target: Target) -> None:
    """One request before the run, a create with an empty body: a server refuses a wrong key (401/403)
    before it reads the body (a 400 then). A refused key is one line, exit 2, before any test: the run
    would only collect 401s. Anything else (even a broken answer) is left for the run to judge."""
    if target.embedded:
        return
    try:
        with ResponsesClient(target) as client:
            status = client.send("POST", "/responses", json={}, retry=False).status
    except (TargetUnreachable, BudgetExhausted):  # the run itself reports a target that cannot answer
        return
    if status in REFUSED_STATUSES:
        raise CannotRun(refused_message(target, status))


def default_report_dir(target: Target) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("reports") / f"{stamp}-{target.name}"


REWRITE_WARNING = "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"


def pytest_args(opts: RunOptions, report_dir: Path) -> list[str]:
    """pytest's arguments: the suites, the options pytest itself owns, then the passthrough. The
    target is not among them: it is handed over resolved (plugin.Handoff)."""
    root = suites_root()
    unknown = [s for s in opts.suites if s not in SUITES]
    if unknown:
        raise CannotRun(f"--suite: {unknown[0]!r} is not a suite — choose from: {', '.join(SUITES)}")
    paths = [str(root / f"test_{s}.py") for s in opts.suites] or [str(root)]
    # The key preflight has imported httpx (and anyio, a pytest plugin) before pytest starts in this
    # process: pytest would warn that it cannot rewrite anyio's asserts, which no suite uses.
    args = [*paths, "-p", "no:cacheprovider", "-W", REWRITE_WARNING, "--rootdir", str(root), "-c", os.devnull]
    if opts.keyword:
        args += ["-k", opts.keyword]
    if opts.workers not in ("0", ""):
        if not (opts.workers.isdigit() or opts.workers in ("auto", "logical")):
            raise CannotRun(f"-n: {opts.workers!r} is not a number of workers — pass N, or auto")
        if (opts.gate.get("concurrency") or 1) > 1:
            raise CannotRun("--concurrency runs tests at once in one process, -n in several: choose one")
        args += ["-n", opts.workers]
    args += ["--hypothesis-profile", opts.hypothesis_profile, "--report-dir", str(report_dir),
             *as_pytest_args({k: v for k, v in opts.gate.items() if k != "progress"}), *detail_args(opts),
             *opts.pytest_args]
    return args


def detail_args(opts: RunOptions) -> list[str]:
    """The root causes close every run; each failing test's own section (findings, repro) is one
    flag away (``--details``), since one root cause repeated in 94 sections hides the others. The
    progress replaces pytest's dots (a live line on a terminal, plain lines in a CI log), except
    with ``-v``, which asks for pytest's line per test."""
    shown = ["-rfE"] if opts.details else ["--tb=no", "-rN"]
    mode = opts.gate.get("progress") or (OFF if opts.verbose else default_mode(sys.stdout))
    if mode not in PROGRESS_MODES:
        raise CannotRun(f"--progress: {mode!r} is not one of {', '.join(PROGRESS_MODES)}")
    progress = ["--progress", mode] + (["-o", "console_output_style=classic"] if mode != OFF else [])
    return [*shown, *progress, "-v" if opts.verbose else "-q"]


def keep_hypothesis_caches_out_of_cwd() -> None:
    """Hypothesis caches unicode tables and the constants of local modules in ``./.hypothesis``; a run
    started in a relay's checkout should leave no folder there, so they go to the user's cache folder
    (``$HYPOTHESIS_STORAGE_DIRECTORY``, when set, wins; the variable reaches ``-n`` workers too)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "respcheck" / "hypothesis"
    where = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or str(cache)
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = where
    set_hypothesis_home_dir(where)


def run(opts: RunOptions) -> int:
    """Run the suites; returns the Session's exit code (0 pass, 1 failures, 2 could not run, 3 budget)."""
    try:
        target = select_target(opts.target)
    except ConfigError as exc:
        raise CannotRun(str(exc)) from None
    gate_problem(opts.gate)
    preflight(target)
    key_preflight(target)
    report_dir = (opts.report_dir or default_report_dir(target)).resolve()
    args = pytest_args(opts, report_dir)  # a bad --suite or -n is reported before any folder is made
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotRun(
            f"--report-dir: cannot create {report_dir} ({exc.strerror or type(exc).__name__}) — "
            "pass a folder you can write to"
        ) from None
    handoff = Handoff(target)
    keep_hypothesis_caches_out_of_cwd()
    status = pytest.main(args, plugins=[handoff])
    if handoff.lost and handoff.lost[0].startswith(KEY_REFUSED_PREFIX):
        raise CannotRun(handoff.lost[0])  # the whole story: nothing else was learned
    if handoff.lost:
        raise CannotRun(f"{handoff.lost[0]} — the target stopped answering during the run; "
                        f"the report so far is in {report_dir}")
    if status == pytest.ExitCode.INTERRUPTED:  # Ctrl-C: 130, as the shell's own, whatever was judged
        if handoff.exit_code is not None:
            print(f"report (of an interrupted run): {report_dir}")
        return EXIT_INTERRUPTED
    if handoff.exit_code is None:
        if status == pytest.ExitCode.NO_TESTS_COLLECTED:
            raise CannotRun("no test selected — check --suite and -k")
        if status == pytest.ExitCode.USAGE_ERROR:
            raise CannotRun("pytest refused the arguments passed after -- (its message is above)")
        return EXIT_COULD_NOT_RUN
    print(f"report: {report_dir}")
    return handoff.exit_code
