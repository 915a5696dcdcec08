"""targets.yaml: the targets respcheck can test, loaded, validated and typed.

The file is checked against ``respcheck/targets.schema.json`` (shipped in the
package, so editors complete it). Any mistake is a ``ConfigError`` whose message
is ONE line naming the file, the line, the key path and the fix, e.g.::

    targets.yaml:14: targets.newapi.budget.requests: expected an integer, got 'ten' — set a whole number

for the CLI to print and exit 2. A target's key lives in an environment variable
(``api_key_env``), never in the file; a target whose variable is unset is
skipped with a note (``skip_reason``), and choosing it explicitly is an error.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from respcheck.budget import Budget
from respcheck.profiles import PROFILES
from respcheck.redact import SECRET_HEADERS

SCHEMA_PATH = Path(__file__).with_name("targets.schema.json")
TARGETS_FILE_ENV = "RESPCHECK_TARGETS"  # points at a targets.yaml outside the working directory

CAPABILITIES: tuple[str, ...] = (
    "stream",
    "store",
    "retrieve",
    "delete",
    "cancel",
    "background",
    "input_items",
    "input_tokens",
    "compact",
    "function_tools",
    "structured_output",
    "reasoning",
    "image_input",
    "file_input",
    "web_search",
)

EMBEDDED = "embedded"  # base_url of the reference server, which the run starts itself
REFERENCE = "reference"
# The embedded server is local and keyless in spirit; it still gets a key so auth paths are exercised.
REFERENCE_API_KEY = "sk-respcheck-reference-local"
REFERENCE_API_KEY_ENV = "RESPCHECK_REFERENCE_API_KEY"

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BASE_URL = re.compile(r"^https?://[^\s/?#]+[^\s?#]*$")


def is_http_url(url: str | None) -> bool:
    """An http(s) base URL a connection can be opened to (the pattern alone lets ':99999' or '[::1' by)."""
    if not url or not _BASE_URL.match(url):
        return False
    try:
        urllib.parse.urlsplit(url).port  # noqa: B018  (raises ValueError on a bad port or IPv6 host)
    except ValueError:
        return False
    return True


class ConfigError(ValueError):
    """A mistake in targets.yaml or in target options: one line, ready to print (exit 2)."""


@dataclass(frozen=True, slots=True)
class Models:
    """Model names as the target names them."""

    text: str = "gpt-4.1-mini"
    reasoning: str | None = None
    vision: str | None = None

    def for_(self, kind: str) -> str:
        """The model for ``text``, ``reasoning`` or ``vision`` (falling back to the text model)."""
        return getattr(self, kind, None) or self.text


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. ``between_events`` bounds the silence inside a body; ``total`` the whole exchange."""

    connect: float = 5.0
    first_byte: float = 60.0
    between_events: float = 30.0
    total: float = 180.0


@dataclass(frozen=True, slots=True)
class Retries:
    """429 and 503 are retried at most ``max`` times, waiting Retry-After capped at ``max_wait`` seconds."""

    max: int = 2
    max_wait: float = 10.0


# 8 MiB of SSE becomes ~50 MB of parsed events: the cap keeps a hostile stream under the 200 MB bound
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str | None  # None: the embedded reference server, not started yet
    api_key_env: str | None = None
    models: Models = field(default_factory=Models)
    profiles: tuple[str, ...] = ("openai",)
    capabilities: frozenset[str] = frozenset(CAPABILITIES)
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)  # the rest keeps Target hashable
    budget: Budget = field(default_factory=Budget)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: Retries = field(default_factory=Retries)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    base_url_env: str | None = None
    description: str = ""
    source: str = "targets.yaml"  # where it was defined, for messages ("targets.yaml: targets.x")

    @property
    def embedded(self) -> bool:
        """The reference server the run starts itself (no URL until it is started)."""
        return self.base_url_env is None and self.base_url in (None, EMBEDDED)

    @property
    def profile(self) -> str:
        """The primary profile (the first listed)."""
        return self.profiles[0]

    def claims(self, capability: str) -> bool:
        return capability in self.capabilities

    def unsupported_reason(self, capability: str) -> str | None:
        """The skip message for a test needing ``capability``, or None when the target claims it."""
        if capability in self.capabilities:
            return None
        return f"unsupported (not claimed by target {self.name})"

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The key from ``api_key_env`` (the embedded server falls back to a fixed local key)."""
        env = os.environ if environ is None else environ
        key = env.get(self.api_key_env) if self.api_key_env else None
        if not key and self.embedded:
            return REFERENCE_API_KEY
        return key or None

    def resolved_base_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The URL to send to: ``base_url_env`` when set, else ``base_url``; None for an unstarted server."""
        env = os.environ if environ is None else environ
        if self.base_url_env and env.get(self.base_url_env):
            return env[self.base_url_env].rstrip("/")
        return None if self.base_url in (None, EMBEDDED) else self.base_url

    def with_base_url(self, url: str) -> Target:
        """This target pointed at ``url`` (the reference server once started)."""
        return replace(self, base_url=url.rstrip("/"), base_url_env=None)


def reference_target() -> Target:
    """The built-in target: the embedded reference server, claiming every capability."""
    return Target(
        name=REFERENCE,
        base_url=None,
        api_key_env=REFERENCE_API_KEY_ENV,
        models=Models(text="gpt-4.1-mini", reasoning="gpt-5-mini", vision="gpt-4o-mini"),
        description="the embedded reference server (started by the run)",
        timeouts=Timeouts(connect=2.0, first_byte=10.0, between_events=10.0, total=30.0),
        retries=Retries(max=0, max_wait=0.0),
        source="built-in",
    )


def skip_reason(target: Target, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``target`` cannot be tested in this environment (its key or URL variable unset), or None."""
    env = os.environ if environ is None else environ
    if target.embedded:
        return None
    if target.api_key_env and not env.get(target.api_key_env):
        return (
            f"{target.name} skipped: environment variable {target.api_key_env} is not set "
            f"(export {target.api_key_env}=<your key> to test it)"
        )
    if target.resolved_base_url(env) is None:
        return (
            f"{target.name} skipped: no base URL (export {target.base_url_env}=https://<your server>/v1 "
            "to test it)"
            if target.base_url_env
            else f"{target.name} skipped: no base_url set in {target.source}"
        )
    return None


def require_runnable(target: Target, environ: Mapping[str, str] | None = None) -> Target:
    """``target`` if it can be tested here; else a ConfigError naming the variable to set."""
    env = os.environ if environ is None else environ
    if target.embedded:
        return target
    if target.api_key_env and not env.get(target.api_key_env):
        raise ConfigError(
            f"{target.source}.api_key_env: environment variable {target.api_key_env} is not set — "
            f"export {target.api_key_env}=<your key> to test {target.name}"
        )
    url = target.resolved_base_url(env)
    if url is None:
        where = f"export {target.base_url_env}=https://<your server>/v1" if target.base_url_env else "set it"
        raise ConfigError(f"{target.source}.base_url: {target.name} has no base URL — {where}")
    if target.base_url_env and not is_http_url(url):  # base_url itself was validated with the file
        raise ConfigError(
            f"{target.source}.base_url_env: {target.base_url_env}={url!r} is not an http(s) URL — "
            f"export {target.base_url_env}=https://<your server>/v1"
        )
    return target


# -- the file -----------------------------------------------------------------------------------


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
            hint = _did_you_mean(name, self.targets)
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
        raise ConfigError(f"{label}: cannot read it ({_one_line(exc)}) — check the file") from None
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
        profiles=(profile,) if isinstance(profile, str) else tuple(profile),
        capabilities=frozenset(CAPABILITIES if capabilities == "all" else capabilities),
        headers=dict(raw.get("headers", {})),
        budget=replace(base.budget, **raw.get("budget", {})),
        timeouts=replace(base.timeouts, **{k: float(v) for k, v in raw.get("timeouts", {}).items()}),
        retries=replace(base.retries, **raw.get("retries", {})),
        max_body_bytes=raw.get("max_body_bytes", base.max_body_bytes),
        base_url_env=raw.get("base_url_env"),
        description=raw.get("description", base.description),
        source=source,
    )


# -- ad-hoc targets (--base-url ...) --------------------------------------------------------------

# the command-line option that sets each budget limit (named in "budget exhausted" messages)
BUDGET_OPTIONS = {
    "requests": "--budget-requests",
    "output_tokens": "--budget-output-tokens",
    "requests_per_second": "--budget-rps",
}
ADHOC_BUDGET = Budget(
    requests=500,
    output_tokens=200_000,
    requests_per_second=5.0,
    set_by={limit: f"the ad-hoc target's default; {flag} sets it" for limit, flag in BUDGET_OPTIONS.items()},
)


def adhoc_target(
    base_url: str,
    api_key_env: str | None = None,
    model: str | None = None,
    capabilities: str | Iterable[str] | None = None,
    profile: str | Iterable[str] | None = None,
    *,
    name: str = "adhoc",
) -> Target:
    """A target from command-line options: held to the full OpenAI surface unless ``capabilities`` narrows it.

    The key variable is not required here: a missing key shows up as the target's 401, and an
    unreachable URL must still be reported as such.
    """
    if not is_http_url(base_url):
        raise ConfigError(f"--base-url: {base_url!r} is not an http(s) URL — pass e.g. https://relay.example/v1")
    if api_key_env is not None and not _ENV_NAME.match(api_key_env):
        raise ConfigError(
            f"--api-key-env: {api_key_env!r} is not an environment variable name — pass the variable's "
            "NAME (letters, digits, _), not the key"
        )
    caps = parse_capabilities(capabilities)
    profiles = parse_profiles(profile) or ("openai",)
    models = Models(text=model, reasoning=model, vision=model) if model else Models()
    return Target(
        name=name,
        base_url=base_url.rstrip("/"),
        api_key_env=api_key_env,
        models=models,
        profiles=profiles,
        capabilities=frozenset(CAPABILITIES if caps is None else caps),
        budget=ADHOC_BUDGET,
        source="command line",
    )


def parse_capabilities(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """``--capabilities a,b``: the capabilities named (None when not given), each one known."""
    caps = _parse_list(value)
    for cap in caps or ():
        if cap not in CAPABILITIES:
            raise ConfigError(
                f"--capabilities: {cap!r} is not a capability{_did_you_mean(cap, CAPABILITIES)} — "
                f"use a comma-separated subset of: {', '.join(CAPABILITIES)}"
            )
    return caps


def parse_profiles(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """``--profile p1,p2``: the profiles named (None when not given), each one known."""
    profiles = _parse_list(value)
    for p in profiles or ():
        if p not in PROFILES:
            raise ConfigError(
                f"--profile: {p!r} is not a profile{_did_you_mean(p, PROFILES)} — "
                f"use one of: {', '.join(PROFILES)}"
            )
    return profiles


def _parse_list(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(i.strip() for i in items if i.strip())


# -- YAML and schema validation --------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(text: str, label: str) -> tuple[Any, yaml.Node | None]:
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("duplicate key"):
            raise ConfigError(f"{where}: {problem} — keep one of them") from None
        raise ConfigError(f"{where}: malformed YAML ({problem}) — fix the syntax at that spot") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: malformed YAML ({_one_line(exc)}) — fix the syntax") from None
    return data, node


@cache
def targets_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _validate(data: Any, node: yaml.Node | None, label: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(targets_schema())
    # the first error in document order; unions are explained by _explain_union, not best_match,
    # which would pick an arbitrary branch ("expected null")
    error = next(iter(validator.iter_errors(data)), None)
    if error is not None:
        _fail(node, label, *explain_error(error))
    for name, raw in data["targets"].items():
        base_url = (raw or {}).get("base_url")
        if isinstance(base_url, str) and base_url != EMBEDDED and not is_http_url(base_url):
            path = ["targets", name, "base_url"]
            _fail(node, label, path, _bad_pattern(path, base_url))
        # a relay needs an address; null or 'embedded' (the reference server) must be said explicitly
        if name != REFERENCE and "base_url" not in (raw or {}) and "base_url_env" not in (raw or {}):
            _fail(node, label, ["targets", name], "missing key 'base_url' — set the relay's URL "
                  "(https://host/v1), or base_url_env for a self-hosted one")
        for header in (raw or {}).get("headers", {}):
            # a credential written here would be a key in the file, in git, in every report
            if header.lower() in SECRET_HEADERS:
                _fail(node, label, ["targets", name, "headers", header],
                      "credentials do not belong in targets.yaml — put the key in an environment "
                      "variable and name it in api_key_env")


def _fail(node: yaml.Node | None, label: str, path: list[Any], message: str) -> None:
    line = _line_of(node, path)
    where = f"{label}:{line}" if line else label
    raise ConfigError(f"{where}: {format_path(path) or '(top level)'}: {message}")


def format_path(path: Iterable[Any]) -> str:
    """``targets.newapi.capabilities[2]``: the key path as a user reads it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}
_TYPE_FIXES = {
    "integer": "set a whole number",
    "number": "set a number",
    "string": "quote it as text",
    "boolean": "set true or false",
    "array": "give a list, e.g. [a, b]",
    "object": "give a mapping of keys (key: value lines, indented)",
}


def explain_error(error: Any) -> tuple[list[Any], str]:
    """(key path, 'what is wrong — the fix') for one jsonschema ValidationError."""
    path = list(error.absolute_path)
    kind = error.validator
    value = error.instance
    if kind in ("anyOf", "oneOf"):
        return _explain_union(error)
    if kind == "type":
        return path, _wrong_type([error.validator_value] if isinstance(error.validator_value, str)
                                 else list(error.validator_value), value)
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        key = extra[0] if extra else "?"
        if error.schema.get("additionalProperties") is False:
            hint = _did_you_mean(str(key), allowed)
            return [*path, key], f"unknown key{hint} — remove it or use one of: {', '.join(allowed)}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return path, f"missing key {missing[0]!r} — add it"
    if kind == "enum":
        choices = [c for c in error.validator_value]
        hint = _did_you_mean(str(value), [str(c) for c in choices])
        return path, f"{value!r} is not allowed{hint} — use one of: {', '.join(map(str, choices))}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}[kind]
        return path, f"{value!r} is out of range — set a value {bound} {error.validator_value}"
    if kind == "uniqueItems":
        return path, "lists the same entry twice — remove the duplicate"
    if kind == "minItems":
        return path, "is an empty list — list at least one entry or remove the key"
    if kind == "minLength":
        return path, "is empty — set a name or remove the key"
    if kind == "pattern":
        return path, _bad_pattern(path, value)
    if kind == "propertyNames":
        return path, f"{value!r} is not a valid name — use letters, digits, '_', '-', '.'"
    return path, f"{_one_line(error.message)} — fix this value"


def _explain_union(error: Any) -> tuple[list[Any], str]:
    """An anyOf: explain the branch whose type the value has; if none has it, list the types."""
    path = list(error.absolute_path)
    context = list(error.context or [])
    mistyped = {e.relative_schema_path[0] for e in context if e.validator == "type" and not e.relative_path}
    relevant = [e for e in context if e.relative_schema_path[0] not in mistyped]
    if relevant:
        return explain_error(max(relevant, key=lambda e: len(e.relative_path)))
    types: list[str] = []
    for e in context:
        vv = e.validator_value
        for t in [vv] if isinstance(vv, str) else vv:
            if t not in types:
                types.append(t)
    return path, _wrong_type(types, error.instance)


def _wrong_type(types: list[str], value: Any) -> str:
    wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    fix = next((_TYPE_FIXES[t] for t in types if t in _TYPE_FIXES), "change the value")
    return f"expected {wanted}, got {_describe(value)} — {fix}"


def _bad_pattern(path: list[Any], value: Any) -> str:
    key = path[-1] if path else ""
    if key in ("api_key_env", "base_url_env"):
        return (
            f"{value!r} is not an environment variable name — give the variable's NAME (letters, digits, _), "
            "never the key itself"
        )
    if key == "base_url":
        return f"{value!r} is not an http(s) URL — set e.g. https://relay.example/v1, or 'embedded'"
    return f"{value!r} has the wrong form — fix this value"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _did_you_mean(word: str, choices: Iterable[Any]) -> str:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _line_of(node: yaml.Node | None, path: list[Any]) -> int | None:
    """1-based line of the YAML node at ``path`` (the deepest one that exists)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())
