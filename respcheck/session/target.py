"""The target resolved once, as data: what the CLI hands to pytest and pytest to its xdist workers.

``target_to_data`` / ``target_from_data`` round-trip a ``Target`` through plain JSON types (no
worker re-reads targets.yaml or re-applies options), and ``identity`` is what every report says
about the target: the same dict under ``-n N`` as in one process.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from respcheck.budget import Budget
from respcheck.config import REFERENCE, REFERENCE_API_KEY_ENV, Auth, Models, Retries, Target, Timeouts
from respcheck.redact import redact_text, redact_url

# Where the embedded reference server listens when started with ``respcheck serve`` (its default),
# so a repro of a run against the embedded server can be pasted against it.
REFERENCE_ORIGIN = "http://127.0.0.1:8787"
EMBEDDED_SHOWN = "embedded"


def target_to_data(target: Target) -> dict[str, Any]:
    """Plain JSON types only (tuples and frozensets become sorted lists)."""
    data = {f.name: getattr(target, f.name) for f in fields(target)}
    data["models"] = asdict(target.models)
    data["auth"] = asdict(target.auth)
    data["unsupported_parameters"] = {m: list(p) for m, p in target.unsupported_parameters.items()}
    data["timeouts"] = asdict(target.timeouts)
    data["retries"] = asdict(target.retries)
    data["budget"] = {**asdict(target.budget), "set_by": dict(target.budget.set_by)}
    data["headers"] = dict(target.headers)
    data["severity"] = dict(target.severity)
    data["profiles"] = list(target.profiles)
    data["tags"] = list(target.tags)
    data["capabilities"] = sorted(target.capabilities)
    return data


def target_from_data(data: dict[str, Any]) -> Target:
    given = dict(data)
    given["models"] = Models(**given["models"])
    given["auth"] = Auth(**given.get("auth", {}))
    rejected = given.get("unsupported_parameters", {})
    given["unsupported_parameters"] = {model: tuple(params) for model, params in rejected.items()}
    given["timeouts"] = Timeouts(**given["timeouts"])
    given["retries"] = Retries(**given["retries"])
    given["budget"] = Budget(**given["budget"])
    given["profiles"] = tuple(given["profiles"])
    given["tags"] = tuple(given.get("tags", ()))
    given["capabilities"] = frozenset(given["capabilities"])
    return Target(**given)


def target_to_json(target: Target) -> str:
    return json.dumps(target_to_data(target))


def target_from_json(text: str) -> Target:
    return target_from_data(json.loads(text))


def without_userinfo(url: str) -> tuple[str, str, str]:
    """(scheme, host[:port], rest) of a URL, any ``user:password@`` dropped. Parsed by hand: a
    redacted userinfo (``[REDACTED]@``) makes urllib take the brackets for an IPv6 address."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", "", url
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return scheme, rest[:cut].rsplit("@", 1)[-1], rest[cut:]


def shown_url(url: str) -> str:
    """A URL fit to print: no userinfo, secret query parameters masked."""
    scheme, host, rest = without_userinfo(url)
    if not scheme:
        return redact_text(url)
    try:
        return redact_url(f"{scheme}://{host}{rest}")
    except ValueError:  # not a URL urllib accepts: mask known secrets only
        return redact_text(f"{scheme}://{host}{rest}")


def origin_of(identity: dict[str, Any]) -> str:
    """scheme://host[:port] of the target (recorded paths already carry any base path); the
    embedded server's repros point at ``respcheck serve``'s default address."""
    scheme, host, _ = without_userinfo(str(identity.get("base_url") or ""))
    return f"{scheme}://{host}" if scheme and host else REFERENCE_ORIGIN


def key_env_of(identity: dict[str, Any]) -> str:
    """The NAME of the variable holding the target's key, as repros print it (never the key itself)."""
    if identity.get("api_key_env"):
        return str(identity["api_key_env"])
    return REFERENCE_API_KEY_ENV if identity.get("name") == REFERENCE else "OPENAI_API_KEY"


def identity(target: Target | None) -> dict[str, Any]:
    """What the reports say about the target (``summary.json``'s ``target``)."""
    if target is None:
        return {"name": "unknown"}
    url = target.resolved_base_url()  # base_url_env: the address the requests went to
    return {
        "name": target.name,
        "base_url": EMBEDDED_SHOWN if target.embedded else (shown_url(url) if url else None),
        "api_key_env": target.api_key_env,
        "auth": asdict(target.auth),
        "profiles": list(target.profiles),
        "capabilities": sorted(target.capabilities),
        "models": {"text": target.models.text, "reasoning": target.models.reasoning,
                   "vision": target.models.vision},
    }
