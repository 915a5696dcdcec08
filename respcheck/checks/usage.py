"""Checks: token usage, the numbers relays bill by.

Usage is judged on every Response object that carries one (in a stream that is normally
only the terminal event) and on a compact result. The token names depend on the profile:
the Responses API names them ``input_tokens`` / ``output_tokens`` (``input_tokens_details``,
``output_tokens_details``); New API's page (``doc:newapi``, ``usage_style == "chat"``)
publishes the Chat Completions names ``prompt_tokens`` / ``completion_tokens``. The
arithmetic checks judge whichever pair the usage carries, preferring the profile's, so a
relay with the wrong names gets one naming finding, not a cascade.

Decision on ``max_output_tokens``: the spec defines it as the bound on generated tokens
*including reasoning tokens*, and ``output_tokens`` likewise includes
``output_tokens_details.reasoning_tokens``; so ``output_tokens <= max_output_tokens`` holds
for reasoning models too (every real recording that sets the limit agrees). Reaching the
limit exactly is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard

from respcheck.checks.common import (
    RESPONSE_ENDPOINTS,
    at,
    body_ptr,
    is_success,
    per_exchange,
    response_objects,
)
from respcheck.checks.registry import CheckContext, Violation, check, once_per_fault
from respcheck.checks.response import output_items
from respcheck.exchange import Exchange
from respcheck.findings import Severity
from respcheck.jsontypes import clipped

USAGE_ENDPOINTS = RESPONSE_ENDPOINTS | {"compact"}


@dataclass(frozen=True, slots=True)
class TokenNames:
    """The field names of one usage style."""

    input: str
    output: str
    input_details: str
    output_details: str


RESPONSES_NAMES = TokenNames("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")
CHAT_NAMES = TokenNames(
    "prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"
)


def is_count(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0  # a JSON number's type; not isinstance: a bool is no count


@per_exchange
def usages(ex: Exchange) -> tuple[tuple[dict[str, Any], str, dict[str, Any]], ...]:
    """Every usage object: (usage, its pointer, the object carrying it); found once for all the checks."""
    carriers = response_objects(ex)
    if not carriers and ex.endpoint == "compact" and is_success(ex) and isinstance(ex.body, dict):
        carriers = ((ex.body, body_ptr()),)
    return tuple(
        (usage, f"{ptr}/usage", carrier)
        for carrier, ptr in carriers
        if isinstance(usage := carrier.get("usage"), dict)
    )


@per_exchange
def usages_with_limit(ex: Exchange) -> tuple[tuple[dict[str, Any], str, dict[str, Any], Any], ...]:
    """``usages`` with the max_output_tokens each was bound by: the create request's, else the one
    the Response echoes (a retrieve has no request body to read it from)."""
    request = ex.request.body if ex.endpoint == "create" else None
    requested = request.get("max_output_tokens") if isinstance(request, dict) else None
    return tuple(
        (usage, ptr, response, requested if is_count(requested) else response.get("max_output_tokens"))
        for usage, ptr, response in usages(ex)
    )


def names_in(usage: dict[str, Any], ctx: CheckContext) -> TokenNames:
    """The names to judge ``usage`` by: the profile's style, unless only the other is present."""
    preferred, other = (
        (CHAT_NAMES, RESPONSES_NAMES) if ctx.profile.usage_style == "chat" else (RESPONSES_NAMES, CHAT_NAMES)
    )
    if (
        preferred.input not in usage
        and preferred.output not in usage
        and (other.input in usage or other.output in usage)
    ):
        return other
    return preferred


@check(
    "usage.present",
    clause="openai: Response.usage — token usage of a completed response",
    summary="A completed Response carries a usage object.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def usage_present(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        if response.get("status") == "completed" and not isinstance(response.get("usage"), dict):
            yield Violation(
                f"completed response has usage {_show(response.get('usage'))}; a completed response "
                "reports input_tokens, output_tokens and total_tokens (clients bill and enforce "
                "budgets by it)",
                at=at(ptr, "usage"),
            )


@check(
    "usage.names",
    clause="openai: ResponseUsage — input_tokens, output_tokens, total_tokens (doc:newapi: prompt_tokens, "
    "completion_tokens)",
    summary="usage uses the token names of the profile (Responses: input/output; New API doc: prompt/"
    "completion).",
    endpoints=USAGE_ENDPOINTS,
)
@once_per_fault
def usage_names(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    chat_style = ctx.profile.usage_style == "chat"
    for usage, ptr, _ in usages(ex):
        has_chat = CHAT_NAMES.input in usage or CHAT_NAMES.output in usage
        has_responses = RESPONSES_NAMES.input in usage or RESPONSES_NAMES.output in usage
        if not chat_style and has_chat:
            yield Violation(
                "usage uses Chat Completions names prompt_tokens/completion_tokens; the Responses API "
                "names them input_tokens/output_tokens"
                + (" (it carries both)" if has_responses else " (SDKs read input_tokens and find none)"),
                at=at(ptr, CHAT_NAMES.input if CHAT_NAMES.input in usage else CHAT_NAMES.output),
            )
        elif chat_style and has_responses and not has_chat:
            yield Violation(
                f"usage uses input_tokens/output_tokens; the profile's doc ({ctx.profile.name}) publishes "
                "the Chat Completions names prompt_tokens/completion_tokens",
                at=at(
                    ptr, RESPONSES_NAMES.input if RESPONSES_NAMES.input in usage else RESPONSES_NAMES.output
                ),
                severity=Severity.WARNING,
            )


@check(
    "usage.counts",
    clause="openai: ResponseUsage — every token count is an integer",
    summary="Every token count in usage (and its *_details) is an integer ≥ 0.",
    endpoints=USAGE_ENDPOINTS,
)
@once_per_fault
def usage_counts(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for usage, ptr, _ in usages(ex):
        for key, value in usage.items():
            if key.endswith("_tokens"):
                if not is_count_or_null(value):
                    yield count_violation(value, ptr, key)
            elif key.endswith("_tokens_details") and isinstance(value, dict):
                for sub, count in value.items():
                    if sub.endswith("_tokens") and not is_count_or_null(count):
                        yield count_violation(count, ptr, key, sub)


def is_count_or_null(value: Any) -> bool:
    # null is the schema's to judge (some details are nullable); here: wrong numbers.
    return value is None or is_count(value)


def count_violation(value: Any, ptr: str, *path: str) -> Violation:
    return Violation(
        f"usage.{'.'.join(path)} is {_show(value)}; token counts are integers ≥ 0", at=at(ptr, *path)
    )


@check(
    "usage.total",
    clause="openai: ResponseUsage.total_tokens — input_tokens + output_tokens",
    summary="total_tokens equals input + output tokens (prompt + completion under doc:newapi).",
    endpoints=USAGE_ENDPOINTS,
)
@once_per_fault
def usage_total(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for usage, ptr, _ in usages(ex):
        names = names_in(usage, ctx)
        given, total = (usage.get(names.input), usage.get(names.output)), usage.get("total_tokens")
        if not (is_count(given[0]) and is_count(given[1])):
            continue  # usage.counts / schema report missing or malformed counts
        # A missing total_tokens is the schema checks' to report.
        if is_count(total) and total != given[0] + given[1]:
            yield Violation(
                f"usage.total_tokens is {total} but {names.input} + {names.output} = "
                f"{given[0]} + {given[1]} = {given[0] + given[1]}",
                at=at(ptr, "total_tokens"),
            )


@check(
    "usage.details_within_totals",
    clause="openai: ResponseUsage — cached_tokens are part of input_tokens; reasoning_tokens part of "
    "output_tokens",
    summary="cached_tokens ≤ input tokens and reasoning_tokens ≤ output tokens.",
    endpoints=USAGE_ENDPOINTS,
)
@once_per_fault
def usage_details(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for usage, ptr, _ in usages(ex):
        names = names_in(usage, ctx)
        for total_name, details_name, part in (
            (names.input, names.input_details, "cached_tokens"),
            (names.output, names.output_details, "reasoning_tokens"),
        ):
            total, details = usage.get(total_name), usage.get(details_name)
            count = details.get(part) if isinstance(details, dict) else None
            if is_count(total) and is_count(count) and count > total:
                yield Violation(
                    f"usage.{details_name}.{part} is {count}, more than {total_name} ({total}); "
                    f"{part} are a part of {total_name}, not added to it",
                    at=at(ptr, details_name, part),
                )


@check(
    "usage.max_output_tokens",
    clause="openai: CreateResponse.max_output_tokens — upper bound on generated tokens, reasoning included",
    summary="output tokens ≤ max_output_tokens when the request (or the echoed Response) sets it.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def usage_within_limit(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for usage, ptr, _response, limit in usages_with_limit(ex):
        names = names_in(usage, ctx)
        used = usage.get(names.output)
        if is_count(limit) and is_count(used) and used > limit:
            yield Violation(
                f"usage.{names.output} is {used}, over max_output_tokens = {limit}; generation must "
                "stop at the limit (status incomplete, reason max_output_tokens), and reasoning "
                "tokens count towards it",
                at=at(ptr, names.output),
            )


def _show(value: Any) -> str:
    if value is None:
        return "null (or missing)"
    return clipped(repr(value) if not isinstance(value, str) else f'"{value}"')


@check(
    "usage.nonzero",
    clause="openai: ResponseUsage — input_tokens counts the prompt and output_tokens the generated output; "
    "judged on completed responses that carry output text (OpenAI itself reported all zeros for "
    "tool-call-only answers in March 2025: real recordings)",
    summary="A completed Response with output text reports input and output tokens above 0.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def usage_nonzero(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    # A relay that cannot count writes zeros; billing and budgets built on them are silently wrong.
    for usage, ptr, response in usages(ex):
        names = names_in(usage, ctx)
        zeros = [
            (name, what)
            for name, what in ((names.input, "the prompt"), (names.output, "the output text"))
            if usage.get(name) == 0 and is_count(usage.get(name))
        ]
        # The output text is looked for only when a count is 0 (rarely): it is the costly part.
        if not zeros or response.get("status") != "completed" or not _has_output_text(response):
            continue
        for name, what in zeros:
            yield Violation(
                f"usage.{name} is 0 on a completed response with output text: {what} has tokens "
                "(a relay that does not count reports zeros)",
                at=at(ptr, name),
            )


def _has_output_text(response: dict[str, Any]) -> bool:
    for item, _ in output_items(response, ""):
        content = item.get("content")
        for part in content if isinstance(content, list) else ():
            if isinstance(part, dict) and part.get("type") == "output_text" and part.get("text"):
                return True
    return False
