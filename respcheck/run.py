"""``respcheck run``: check the target, run the suites under pytest, print and write the verdict.

Before pytest starts, the target is resolved (a bad targets.yaml or option is one line,
exit 2) and, for a remote target, a TCP connection is tried (an unreachable target is one
line, exit 2, within the connect timeout): nothing is spent on a target that cannot answer.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from respcheck.config import ConfigError, Target
from respcheck.resources import suites_root
from respcheck.results import EXIT_COULD_NOT_RUN, SUMMARY_FILE
from respcheck.selection import TargetOptions, select_target

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


def default_report_dir(target: Target) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("reports") / f"{stamp}-{target.name}"


def pytest_args(opts: RunOptions, report_dir: Path) -> list[str]:
    root = suites_root()
    unknown = [s for s in opts.suites if s not in SUITES]
    if unknown:
        raise CannotRun(f"--suite: {unknown[0]!r} is not a suite — choose from: {', '.join(SUITES)}")
    paths = [str(root / f"test_{s}.py") for s in opts.suites] or [str(root)]
    t = opts.target
    args = [*paths, "-p", "no:cacheprovider", "--rootdir", str(root), "-c", os.devnull]
    for flag, value in (
        ("--target", t.target),
        ("--targets-file", t.targets_file),
        ("--base-url", t.base_url),
        ("--api-key-env", t.api_key_env),
        ("--model", t.model),
        ("--capabilities", t.capabilities),
        ("--profile", t.profile),
        ("--budget-requests", t.budget_requests),
        ("--budget-output-tokens", t.budget_output_tokens),
        ("--budget-rps", t.budget_rps),
    ):
        if value is not None:
            args += [flag, str(value)]
    if opts.keyword:
        args += ["-k", opts.keyword]
    if opts.workers not in ("0", ""):
        if not (opts.workers.isdigit() or opts.workers in ("auto", "logical")):
            raise CannotRun(f"-n: {opts.workers!r} is not a number of workers — pass N, or auto")
        args += ["-n", opts.workers]
    args += [
        "--hypothesis-profile",
        opts.hypothesis_profile,
        "--report-dir",
        str(report_dir),
        "--junitxml",
        str(report_dir / "junit.xml"),
        "--alluredir",
        str(report_dir / "allure-results"),
        "-o",
        "junit_family=xunit2",
        "-rfE",
        "-v" if opts.verbose else "-q",
    ]
    return args


def run(opts: RunOptions) -> int:
    """Run the suites; returns the exit code (0 pass, 1 failures, 2 could not run, 3 budget)."""
    import pytest

    try:
        target = select_target(opts.target)
    except ConfigError as exc:
        raise CannotRun(str(exc)) from None
    preflight(target)
    if opts.target.targets_file:  # pytest workers re-read it: make the path independent of cwd
        targets_file = str(Path(opts.target.targets_file).resolve())
        opts = replace(opts, target=replace(opts.target, targets_file=targets_file))
    report_dir = (opts.report_dir or default_report_dir(target)).resolve()
    args = pytest_args(opts, report_dir)  # a bad --suite or -n is reported before any folder is made
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotRun(
            f"--report-dir: cannot create {report_dir} ({exc.strerror or type(exc).__name__}) — "
            "pass a folder you can write to"
        ) from None
    status = pytest.main(args)
    summary_path = report_dir / SUMMARY_FILE
    if not summary_path.is_file():
        if status == pytest.ExitCode.NO_TESTS_COLLECTED:
            raise CannotRun("no test selected — check --suite and -k")
        return EXIT_COULD_NOT_RUN
    summary = json.loads(summary_path.read_text())
    print(f"report: {report_dir}")
    return int(summary["exit_code"])
