"""Targets: the model of one API under test and the targets.yaml file that names them.

``target.py`` is the model (``Target``, its parts, the ad-hoc target of the CLI);
``targets_file.py`` reads targets.yaml into Targets; ``loader.py`` is the strict YAML loader
(also used for VCR cassettes); ``explain.py`` turns a schema error into a one-line message.
May import: budget, profiles, redact, checks.policy (a severity key must name a check).
Nothing here does network I/O.
"""

from respcheck.config.explain import explain_error
from respcheck.config.target import (
    ADHOC_BUDGET,
    BUDGET_OPTIONS,
    CAPABILITIES,
    DEFAULT_MAX_BODY_BYTES,
    EMBEDDED,
    REFERENCE,
    REFERENCE_API_KEY,
    REFERENCE_API_KEY_ENV,
    ConfigError,
    Models,
    Retries,
    Target,
    Timeouts,
    adhoc_target,
    is_http_url,
    parse_capabilities,
    parse_profiles,
    reference_target,
    require_runnable,
    skip_reason,
    url_problem,
)
from respcheck.config.targets_file import (
    SCHEMA_PATH,
    TARGETS_FILE_ENV,
    TargetsConfig,
    budget_option_problem,
    find_targets_file,
    load_targets,
    parse_targets,
    targets_schema,
)

__all__ = [
    "ADHOC_BUDGET",
    "BUDGET_OPTIONS",
    "CAPABILITIES",
    "DEFAULT_MAX_BODY_BYTES",
    "EMBEDDED",
    "REFERENCE",
    "REFERENCE_API_KEY",
    "REFERENCE_API_KEY_ENV",
    "SCHEMA_PATH",
    "TARGETS_FILE_ENV",
    "ConfigError",
    "Models",
    "Retries",
    "Target",
    "TargetsConfig",
    "Timeouts",
    "adhoc_target",
    "budget_option_problem",
    "explain_error",
    "find_targets_file",
    "is_http_url",
    "load_targets",
    "parse_capabilities",
    "parse_profiles",
    "parse_targets",
    "reference_target",
    "require_runnable",
    "skip_reason",
    "targets_schema",
    "url_problem",
]
