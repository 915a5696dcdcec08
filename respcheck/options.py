"""The options of a run, declared once: this table generates both the ``respcheck run`` /
``respcheck selftest`` click options and the pytest plugin's options, so one option means the
same thing, with the same help, everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from respcheck.profiles import PROFILES


@dataclass(frozen=True)
class Option:
    name: str  # the Python name (click parameter, TargetOptions field)
    flag: str
    help: str
    type: type = str
    target: bool = True  # part of choosing the target (selection.TargetOptions)
    pytest_dest: str | None = None  # when the plain name would clash with another pytest plugin's
    is_flag: bool = False  # takes no value
    path: bool = False  # a file or folder

    @property
    def dest(self) -> str:
        return self.pytest_dest or self.name


OPTIONS = (
    Option("target", "--target", "Target name from targets.yaml (default: reference)."),
    Option("targets_file", "--targets-file", "Path to targets.yaml (default: ./targets.yaml)."),
    Option("base_url", "--base-url", "Ad-hoc target: base URL, e.g. https://relay.example/v1."),
    Option("api_key_env", "--api-key-env", "Ad-hoc target: NAME of the variable holding the key."),
    Option("model", "--model", "The text model (the one most tests send)."),
    Option("reasoning_model", "--reasoning-model", "The reasoning model (reasoning scenarios are "
           "unsupported without one)."),
    Option("vision_model", "--vision-model", "The vision model (image-input scenarios are unsupported "
           "without one)."),
    Option("auth_header", "--auth-header", "Ad-hoc target: the header that carries the key (default "
           "Authorization, as Bearer; api-key and x-api-key carry the bare key)."),
    Option("capabilities", "--capabilities", "Comma-separated capabilities the target claims."),
    Option("profile", "--profile", f"Schema profile(s), comma-separated: {', '.join(PROFILES)}.",
           pytest_dest="respcheck_profile"),
    Option("budget_requests", "--budget-requests", "At most this many requests.", int),
    Option("budget_output_tokens", "--budget-output-tokens", "At most this many output tokens.", int),
    Option("budget_rps", "--budget-rps", "At most this many requests per second.", float),
    Option("report_dir", "--report-dir", "Write the report to this folder (respcheck run's default: "
           "reports/<time>-<target>/).", target=False, pytest_dest="respcheck_report_dir", path=True),
    Option("checks", "--checks", "Judge only these checks: ids, dotted prefixes (usage) or globs "
           "(stream.*), comma-separated.", target=False, pytest_dest="respcheck_checks"),
    Option("exclude_checks", "--exclude-checks", "Do not judge these checks (ids, prefixes or globs, "
           "comma-separated).", target=False, pytest_dest="respcheck_exclude_checks"),
    Option("baseline", "--baseline", "YAML or JSON file of known findings: they do not fail the run, "
           "new ones do.", target=False, pytest_dest="respcheck_baseline", path=True),
    Option("update_baseline", "--update-baseline", "Write --baseline from this run (keeping the reasons "
           "of entries that still match).", bool, target=False, pytest_dest="respcheck_update_baseline",
           is_flag=True),
    Option("concurrency", "--concurrency", "Run up to N independent tests at once, in this process (the "
           "reports are a sequential run's; never beyond the target's requests_per_second). Default: "
           "16 for a remote target, 1 for the embedded server.", int, target=False,
           pytest_dest="respcheck_concurrency"),
    Option("progress", "--progress", "live | lines | off: a live line on a terminal, a plain line every "
           "10 s in a CI log (respcheck run's default: live on a terminal, else lines).", target=False,
           pytest_dest="respcheck_progress"),
)
TARGET_OPTIONS = tuple(o for o in OPTIONS if o.target)
RUN_OPTIONS = tuple(o for o in OPTIONS if not o.target)  # how to run and report, whatever the target


def target_values(get: Any) -> dict[str, Any]:
    """The target options' values, read with ``get(option)`` (click's params or pytest's getoption)."""
    return {o.name: get(o) for o in TARGET_OPTIONS}


def run_values(get: Any) -> dict[str, Any]:
    """The other options' values (report folder, check selection, baseline), read with ``get(option)``."""
    return {o.name: get(o) for o in RUN_OPTIONS}


def as_pytest_args(values: dict[str, Any]) -> list[str]:
    """The run options given (not None, not False) as pytest command-line arguments."""
    args: list[str] = []
    for option in RUN_OPTIONS:
        value = values.get(option.name)
        if value is None or value is False:
            continue
        args += [option.flag] if option.is_flag else [option.flag, str(value)]
    return args
