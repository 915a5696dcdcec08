"""targets.yaml: found, parsed with the strict loader, checked against the schema, typed into Targets.

The file is checked against ``respcheck/targets.schema.json`` (shipped in the package, so
editors complete it). Any mistake is a ``ConfigError`` whose message is ONE line naming the
file, the line, the key path and the fix, for the CLI to print and exit 2.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from respcheck.checks.policy import severity_problem
from respcheck.config.explain import bad_pattern, explain_error, fail_at, one_line
from respcheck.config.loader import YAMLProblem, load_yaml
from respcheck.config.target import (
    CAPABILITIES,
    EMBEDDED,
    REFERENCE,
    ConfigError,
    Target,
    auth_from,
    did_you_mean,
    reference_target,
    require_runnable,
    url_problem,
)
from respcheck.redact import SECRET_HEADERS

SCHEMA_PATH = Path(__file__).parents[1] / "targets.schema.json"
TARGETS_FILE_ENV = "RESPCHECK_TARGETS"  # points at a targets.yaml outside the working directory


@dataclass(frozen=True)
class TargetsConfig:
    """The targets of one targets.yaml (plus the built-in ``reference`` unless the file redefines it)."""

    path: str
    targets: dict[str, Target]

    def names(self) -> list[str]:
        return list(self.targets)

    def get(self, name: str) -> Target:
        try:
            return self.targets[name]
        except KeyError:
            hint = did_you_mean(name, self.targets)
            raise ConfigError(
                f"{self.path}: unknown target {name!r}{hint} — choose one of: {', '.join(self.targets)}"
            ) from None

    def select(self, name: str, environ: Mapping[str, str] | None = None) -> Target:
        """The target ``name``, checked runnable (its key variable set): what ``--target NAME`` uses."""
        return require_runnable(self.get(name), environ)


def find_targets_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The targets.yaml to use: the given path, else $RESPCHECK_TARGETS, else ./targets.yaml, else None."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(TARGETS_FILE_ENV):
        return Path(os.environ[TARGETS_FILE_ENV])
    local = Path("targets.yaml")
    return local if local.is_file() else None


def load_targets(path: str | os.PathLike[str] | None = None) -> TargetsConfig:
    """Load and validate targets.yaml (see ``find_targets_file``); without a file, only ``reference``."""
    found = find_targets_file(path)
    if found is None:
        return TargetsConfig("targets.yaml", {REFERENCE: reference_target()})
    label = str(found)
    try:
        text = found.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: file not found — create it or pass an existing file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read it ({one_line(exc)}) — check the file") from None
    return parse_targets(text, label)


def parse_targets(text: str, label: str = "targets.yaml") -> TargetsConfig:
    """Parse and validate the text of a targets.yaml (``label`` names it in messages)."""
    data, node = _load_yaml(text, label)
    if data is None:
        raise ConfigError(f"{label}: the file is empty — add a 'targets:' mapping")
    _validate(data, node, label)
    targets = {REFERENCE: reference_target()}
    for name, raw in data["targets"].items():
        targets[name] = _target_from_raw(name, raw or {}, label)
    return TargetsConfig(label, targets)


def _target_from_raw(name: str, raw: Mapping[str, Any], label: str) -> Target:
    source = f"{label}: targets.{name}"
    base = reference_target() if name == REFERENCE else Target(name=name, base_url=None)
    base_url = raw.get("base_url")
    profile = raw.get("profile", list(base.profiles))
    capabilities = raw.get("capabilities", "all")
    return Target(
        name=name,
        base_url=None if base_url in (None, EMBEDDED) else str(base_url).rstrip("/"),
        api_key_env=raw.get("api_key_env", base.api_key_env),
        models=replace(base.models, **raw.get("models", {})),
        auth=auth_from(**raw["auth"]) if "auth" in raw else base.auth,
        unsupported_parameters={model: tuple(params)
                                for model, params in raw.get("unsupported_parameters", {}).items()},
        profiles=(profile,) if isinstance(profile, str) else tuple(profile),
        capabilities=frozenset(CAPABILITIES if capabilities == "all" else capabilities),
        headers=dict(raw.get("headers", {})),
        # YAML 1.1 reads an unquoted ``off`` as false
        severity={k: "off" if v is False else str(v) for k, v in raw.get("severity", {}).items()},
        budget=replace(base.budget, **raw.get("budget", {})),
        timeouts=replace(base.timeouts, **{k: float(v) for k, v in raw.get("timeouts", {}).items()}),
        retries=replace(base.retries, **raw.get("retries", {})),
        max_body_bytes=raw.get("max_body_bytes", base.max_body_bytes),
        base_url_env=raw.get("base_url_env"),
        description=raw.get("description", base.description),
        tags=tuple(raw.get("tags", ())),
        upstream=raw.get("upstream"),
        source=source,
    )


def _load_yaml(text: str, label: str) -> tuple[Any, yaml.Node | None]:
    # no aliases: a config file never needs them, and they are how a 571-byte file becomes 3 GB
    try:
        return load_yaml(text, aliases=False, keys_as_text=True)
    except YAMLProblem as exc:
        where = f"{label}:{exc.line}:{exc.column}" if exc.line else label
        raise ConfigError(f"{where}: {exc.message}") from None


def _finite_number(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool) and math.isfinite(instance)


def _whole_number(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON has no NaN or Infinity, so the schema cannot refuse them; YAML's .nan and .inf are not numbers here
# (.nan passes every bound: it compares false with all of them). A count written 5.0 or 1e3 is not whole.
_FiniteNumbersValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"number": _finite_number, "integer": _whole_number}
    ),
)


def budget_option_problem(limit: str, value: float) -> str | None:
    """What is wrong with ``value`` as the budget's ``limit`` by the file's own rule ('what — fix'), or None.

    The command-line budget options are held to the schema's ranges (null, unlimited, is the file's
    alone: an option that is given has a value).
    """
    schema = targets_schema()["$defs"]["target"]["properties"]["budget"]["properties"][limit]
    error = next(iter(_FiniteNumbersValidator(_without_null(schema)).iter_errors(value)), None)
    return None if error is None else explain_error(error)[1]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in schema:
        (branch,) = [b for b in schema["anyOf"] if b.get("type") != "null"]
        return branch
    types = [t for t in schema.get("type", []) if t != "null"]
    return {**schema, "type": types[0] if len(types) == 1 else types}


@cache
def targets_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _validate(data: Any, node: yaml.Node | None, label: str) -> None:
    validator = _FiniteNumbersValidator(targets_schema())
    # the first error in document order; unions are explained by _explain_union, not best_match,
    # which would pick an arbitrary branch ("expected null")
    error = next(iter(validator.iter_errors(data)), None)
    if error is not None:
        fail_at(node, label, *explain_error(error))
    for name, raw in data["targets"].items():
        base_url = (raw or {}).get("base_url")
        if isinstance(base_url, str) and base_url != EMBEDDED and url_problem(base_url):
            path = ["targets", name, "base_url"]
            fail_at(node, label, path, bad_pattern(path, base_url))
        # a relay needs an address; null or 'embedded' (the reference server) must be said explicitly
        if name != REFERENCE and "base_url" not in (raw or {}) and "base_url_env" not in (raw or {}):
            fail_at(node, label, ["targets", name], "missing key 'base_url' — set the relay's URL "
                  "(https://host/v1), or base_url_env for a self-hosted one")
        bad_severity = severity_problem((raw or {}).get("severity", {}))
        if bad_severity:
            fail_at(node, label, ["targets", name, "severity", bad_severity[0]], bad_severity[1])
        for header in (raw or {}).get("headers", {}):
            # a credential written here would be a key in the file, in git, in every report
            if header.lower() in SECRET_HEADERS:
                fail_at(node, label, ["targets", name, "headers", header],
                      "credentials do not belong in targets.yaml — put the key in an environment "
                      f"variable and name it in api_key_env (auth: {{header: {header}}} sends it there)")


