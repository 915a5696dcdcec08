"""The Target model: what respcheck knows about one API under test, and the ad-hoc one of the CLI.

A target's key lives in an environment variable (``api_key_env``), never in a file; a target
whose variable is unset is skipped with a note (``skip_reason``), and choosing it explicitly is
an error (``require_runnable``).
"""

from __future__ import annotations

import difflib
import os
import re
import urllib.parse
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from respcheck.budget import Budget
from respcheck.profiles import PROFILES

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


# What an error says instead of a rejected value that may be a key (never echoed: stderr is logged).
NOT_A_NAME = "not an environment variable name (the value is not repeated here: it may be the key itself)"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a base URL, in words that never repeat a credential it may hold; None if it can.

    Credentials before '@' are refused, not stripped: httpx would send them as Basic auth instead
    of the Bearer key, and every report would print them. A query string or fragment is where keys
    hide (``?api-key=``), so that URL is not repeated either.
    """
    if "@" in url:  # userinfo (a password holding '/' moves the '@' past the authority: look everywhere)
        return ("the URL holds credentials before '@' (not repeated here) — remove them: respcheck sends "
                "the key from the key variable as a Bearer header")
    if "?" in url or "#" in url:
        return ("the URL has a query string or fragment (not repeated here: keys hide there) — give the "
                "base URL alone, e.g. https://relay.example/v1, and the key in the key variable")
    if not is_http_url(url):
        shown = repr(url) if _SCHEME.match(url) else "the value given (not repeated here: it may be a key)"
        return f"{shown} is not an http(s) URL"
    return None


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
    # check id, prefix or glob -> off | info | warning | error (respcheck.checks.policy reads it)
    severity: Mapping[str, str] = field(default_factory=dict, hash=False)
    budget: Budget = field(default_factory=Budget)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: Retries = field(default_factory=Retries)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    base_url_env: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()  # labels that select targets together (``real``: the servers in targets/)
    upstream: str | None = None  # ``reference``: respcheck's reference server answers behind this relay
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
    problem = url_problem(url) if target.base_url_env else None  # base_url was validated with the file
    if problem:
        raise ConfigError(
            f"{target.source}.base_url_env: {target.base_url_env}: {problem} — "
            f"export {target.base_url_env}=https://<your server>/v1"
        )
    return target


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
    problem = url_problem(base_url)
    if problem:
        raise ConfigError(f"--base-url: {problem} — pass e.g. https://relay.example/v1")
    if api_key_env is not None and not _ENV_NAME.match(api_key_env):
        raise ConfigError(
            f"--api-key-env: {NOT_A_NAME} — pass the variable's NAME (letters, digits, _), not the key"
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
    return _parse_known(value, "--capabilities", "a capability", CAPABILITIES,
                        "use a comma-separated subset of")


def parse_profiles(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """``--profile p1,p2``: the profiles named (None when not given), each one known."""
    return _parse_known(value, "--profile", "a profile", PROFILES, "use one of")


def _parse_known(value: str | Iterable[str] | None, option: str, noun: str, known: Collection[str],
                 fix: str) -> tuple[str, ...] | None:
    names = _parse_list(value)
    for name in names or ():
        if name not in known:
            raise ConfigError(
                f"{option}: {name!r} is not {noun}{did_you_mean(name, known)} — {fix}: {', '.join(known)}"
            )
    return names


def _parse_list(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(i.strip() for i in items if i.strip())



def did_you_mean(word: str, choices: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
