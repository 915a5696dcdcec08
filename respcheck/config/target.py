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


MODEL_ROLES = ("text", "reasoning", "vision")
# the option that names each model role (in "unsupported: no reasoning model named" reasons)
MODEL_OPTIONS = {"text": "--model", "reasoning": "--reasoning-model", "vision": "--vision-model"}


@dataclass(frozen=True, slots=True)
class Models:
    """Model names as the target names them, by role. A role left unnamed (None) is not guessed from
    another: a text model sent ``reasoning.effort`` is a 400 at OpenAI, not a finding about the relay."""

    text: str = "gpt-4.1-mini"
    reasoning: str | None = None
    vision: str | None = None

    def for_(self, role: str) -> str | None:
        """The model named for ``text``, ``reasoning`` or ``vision``; None when the role is unnamed."""
        return getattr(self, role, None)


def unnamed_role_reason(role: str, target_name: str) -> str:
    """The skip message of a scenario that needs a model role the target does not name."""
    return (f"unsupported (target {target_name} names no {role} model: pass {MODEL_OPTIONS[role]} "
            f"or set models.{role} in targets.yaml)")


# Where the key goes: the names relays use. A header other than Authorization carries the bare key.
DEFAULT_AUTH_HEADER = "Authorization"
DEFAULT_AUTH_SCHEME = "Bearer"


@dataclass(frozen=True, slots=True)
class Auth:
    """How the key is sent: a header (``Authorization: Bearer KEY`` by default, ``api-key: KEY`` for
    Azure-style relays, ``x-api-key: KEY`` for gateways) or a query parameter (``?key=KEY``)."""

    header: str | None = DEFAULT_AUTH_HEADER
    scheme: str | None = DEFAULT_AUTH_SCHEME
    query: str | None = None

    def header_value(self, key: str) -> str:
        return f"{self.scheme} {key}" if self.scheme else key

    def placed(self, key: str | None) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query parameters) that carry ``key`` where this target takes it; nothing without one."""
        if not key:
            return {}, {}
        if self.query:
            return {}, {self.query: key}
        return ({self.header: self.header_value(key)} if self.header else {}), {}

    @property
    def is_bearer(self) -> bool:
        """OpenAI's own way (what the openai SDK sends by itself)."""
        return not self.query and (self.header or "").lower() == "authorization" and self.scheme == "Bearer"

    def describe(self) -> str:
        """How the key is sent, for messages ('the api-key header', 'the query parameter key')."""
        if self.query:
            return f"the query parameter {self.query}"
        return f"the {self.header} header" + (f" ({self.scheme} scheme)" if self.scheme else "")


_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # RFC 9110 token


def auth_from(header: str | None = None, scheme: str | None = None, query: str | None = None) -> Auth:
    """An Auth from what a file or option says: a query parameter, or a header (Authorization gets the
    Bearer scheme unless another is given; any other header carries the bare key)."""
    if header is not None and not _HEADER_NAME.match(header):
        raise ConfigError(f"--auth-header: {NOT_A_NAME.replace('an environment variable', 'a header')} — "
                          "pass the header's name, e.g. api-key or x-api-key")
    if query:
        return Auth(header=None, scheme=None, query=query)
    name = header or DEFAULT_AUTH_HEADER
    if scheme is None and name.lower() == DEFAULT_AUTH_HEADER.lower():
        scheme = DEFAULT_AUTH_SCHEME
    return Auth(header=name, scheme=scheme or None)


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
    auth: Auth = field(default_factory=Auth)
    # parameters a model is known to reject (declared in targets.yaml), by model name: never sent to it
    unsupported_parameters: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
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
    require_key(target, env)
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
    reasoning_model: str | None = None,
    vision_model: str | None = None,
    auth: Auth | None = None,
    name: str | None = None,
) -> Target:
    """A target from command-line options: held to the full OpenAI surface unless ``capabilities`` narrows it.

    It is named from its host (``relay.example-8080``), so the history of runs ("changes since the last
    run") is kept per server. A model role not given stays unnamed: its scenarios are unsupported.
    The key variable is checked by ``require_key`` (the run needs it set; building the target does not).
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
    models = Models(text=model or Models().text, reasoning=reasoning_model, vision=vision_model)
    return Target(
        name=name or name_from_host(base_url),
        base_url=base_url.rstrip("/"),
        api_key_env=api_key_env,
        models=models,
        auth=auth or Auth(),
        profiles=profiles,
        capabilities=frozenset(CAPABILITIES if caps is None else caps),
        budget=ADHOC_BUDGET,
        source="command line",
    )


_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def name_from_host(base_url: str) -> str:
    """An ad-hoc target's name: its host and port, in the characters a target name allows
    (``https://relay.example:8080/v1`` -> ``relay.example-8080``)."""
    parts = urllib.parse.urlsplit(base_url)
    host = (parts.hostname or "adhoc").strip(".")
    name = _NOT_IN_A_NAME.sub("-", f"{host}-{parts.port}" if parts.port else host).strip("-._")
    return name if name and name[0].isalnum() else f"adhoc-{name}".rstrip("-")


def require_key(target: Target, environ: Mapping[str, str] | None = None) -> Target:
    """``target`` if its key variable (when it names one) is set; else a ConfigError naming it (exit 2,
    before any request: a run without the key would only collect 401s)."""
    env = os.environ if environ is None else environ
    if target.embedded or not target.api_key_env or env.get(target.api_key_env):
        return target
    option = "--api-key-env" if target.source == "command line" else f"{target.source}.api_key_env"
    raise ConfigError(
        f"{option}: environment variable {target.api_key_env} is not set — "
        f"export {target.api_key_env}=<your key> to test {target.name}"
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
