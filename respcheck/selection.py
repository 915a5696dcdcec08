"""Which target a run tests: targets.yaml plus command-line overrides, in one place.

Both ``respcheck run`` and the pytest plugin (``pytest suites --target ...``) choose the
target here, so the same options mean the same thing in both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from respcheck.config import (
    BUDGET_OPTIONS,
    ConfigError,
    Models,
    Target,
    adhoc_target,
    auth_from,
    budget_option_problem,
    load_targets,
    parse_capabilities,
    parse_profiles,
    require_key,
)


@dataclass(frozen=True)
class TargetOptions:
    target: str | None = None
    targets_file: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    model: str | None = None
    reasoning_model: str | None = None
    vision_model: str | None = None
    auth_header: str | None = None
    capabilities: str | None = None
    profile: str | None = None
    budget_requests: int | None = None
    budget_output_tokens: int | None = None
    budget_rps: float | None = None


def select_target(opts: TargetOptions) -> Target:
    """The target to test (raises ConfigError, one line, on any bad option or file)."""
    if opts.base_url:
        if opts.target:
            raise ConfigError("--target and --base-url: choose one — a named target or an ad-hoc URL")
        auth = auth_from(header=opts.auth_header) if opts.auth_header else None
        target = adhoc_target(opts.base_url, opts.api_key_env, opts.model, opts.capabilities, opts.profile,
                              reasoning_model=opts.reasoning_model, vision_model=opts.vision_model, auth=auth)
        target = require_key(target)
    else:
        if opts.auth_header:
            raise ConfigError("--auth-header: for an ad-hoc target (--base-url) only — a named target says "
                              "where its key goes with auth: in targets.yaml")
        target = load_targets(opts.targets_file).select(opts.target or "reference")
        if opts.capabilities:
            target = replace(target, capabilities=frozenset(parse_capabilities(opts.capabilities) or ()))
        if opts.profile:
            target = replace(target, profiles=parse_profiles(opts.profile) or target.profiles)
        target = replace(target, models=_with_roles(target.models, opts))
    given = {
        limit: value
        for limit, value in (
            ("requests", opts.budget_requests),
            ("output_tokens", opts.budget_output_tokens),
            ("requests_per_second", opts.budget_rps),
        )
        if value is not None
    }
    for limit, value in given.items():
        # the ranges targets.schema.json sets on a file's budget (0 would stop before the first request,
        # a rate of 1e-300 would sleep past what time.sleep accepts)
        problem = budget_option_problem(limit, value)
        if problem is not None:
            raise ConfigError(
                f"{BUDGET_OPTIONS[limit]}: {problem}, or omit the option to keep the target's own limit"
            )
    if given:
        set_by = {**target.budget.set_by, **{limit: BUDGET_OPTIONS[limit] for limit in given}}
        b = target.budget
        budget = replace(
            b,
            requests=b.requests if opts.budget_requests is None else opts.budget_requests,
            output_tokens=b.output_tokens if opts.budget_output_tokens is None else opts.budget_output_tokens,
            requests_per_second=b.requests_per_second if opts.budget_rps is None else opts.budget_rps,
            set_by=set_by,
        )
        target = replace(target, budget=budget)
    return target


def _with_roles(models: Models, opts: TargetOptions) -> Models:
    """A named target's models, with the roles the options name replaced (--model is the text role)."""
    given = {"text": opts.model, "reasoning": opts.reasoning_model, "vision": opts.vision_model}
    return replace(models, **{role: name for role, name in given.items() if name})
