"""Checks: the Response object's own rules, beyond what its JSON Schema says.

Each check reads every Response object in an exchange (``common.response_objects``: the
JSON body of create/retrieve/cancel, or each ``response`` a stream event carries), so the
same rule holds for ``response.created`` and for the terminal event. The ``schema.*``
checks validate structure; these name the semantic fault in words a relay engineer can
act on.

Decisions recorded here:
- ``id`` without the ``resp_`` prefix is a warning: the spec types it as a plain string and
  real servers differ (DeepSeek uses UUIDs, OpenRouter ``gen-...``), but clients that chain
  ``previous_response_id`` or recognise stored responses by prefix break on them.
- ``created_at`` must be an integer number of seconds: a float breaks strictly typed SDKs
  (Go's ``int64``), and milliseconds put the response in the year 50,000.
- A ``function_call``'s ``arguments`` are only parsed once the item is completed: a background
  response retrieved mid-way may hold partial arguments, and an item cut by max_output_tokens
  (status ``incomplete``) holds the truncated JSON OpenAI really sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from respcheck.checks.common import RESPONSE_ENDPOINTS, at, per_exchange, response_objects
from respcheck.checks.registry import CheckContext, Violation, check, once_per_fault
from respcheck.exchange import Exchange
from respcheck.findings import Severity
from respcheck.jsontypes import json_type, shown

STATUSES = ("completed", "failed", "in_progress", "cancelled", "queued", "incomplete")
UNFINISHED_STATUSES = ("in_progress", "queued")

# 2020-01-01 and 2100-01-01 in Unix seconds: anything outside is not a creation time in
# seconds (a millisecond timestamp of today is ~1.7e12).
EARLIEST_SECONDS = 1_577_836_800
LATEST_SECONDS = 4_102_444_800


def output_items(response: dict[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The output items that are objects, with their pointers (a non-array output has none)."""
    output = response.get("output")
    if not isinstance(output, list):
        return
    for i, item in enumerate(output):
        if isinstance(item, dict):
            yield item, f"{pointer}/output/{i}"


@per_exchange
def output_items_by_type(ex: Exchange) -> dict[str, list[tuple[dict[str, Any], dict[str, Any], str]]]:
    """Item type -> (Response, item, its pointer) of every output item of every Response object of the
    exchange, in order: found once for the checks of one item type each."""
    found: dict[str, list[tuple[dict[str, Any], dict[str, Any], str]]] = {}
    for response, ptr in response_objects(ex):
        for item, item_ptr in output_items(response, ptr):
            kind = item.get("type")
            if isinstance(kind, str):
                found.setdefault(kind, []).append((response, item, item_ptr))
    return found


# --- identity: object, id, created_at, model -------------------------------------------


@check(
    "response.object",
    clause="openai: Response.object — always `response`",
    summary='A Response object\'s `object` is "response".',
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def object_is_response(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        value = response.get("object")
        if value != "response":
            yield Violation(
                f'Response object has "object": {shown(value)}; it must be "response" '
                "(SDKs dispatch on it, and a Chat Completions relay shows up here as "
                '"chat.completion")',
                at=at(ptr, "object"),
            )


@check(
    "response.id",
    clause="openai: Response.id — unique identifier (`resp_...`)",
    summary="A Response has a non-empty string id; OpenAI's start with `resp_` (warning otherwise). "
    "Whether it is the one asked for: response.id.round_trip.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def id_shape(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        value = response.get("id")
        if not isinstance(value, str) or not value:
            yield Violation(
                f"Response id is {shown(value)}; it must be a non-empty string: clients pass it "
                "back as previous_response_id and to retrieve/cancel/delete",
                at=at(ptr, "id"),
            )
        elif not value.startswith("resp_"):
            yield Violation(
                f'Response id {shown(value)} does not start with "resp_" as OpenAI\'s do; '
                "clients that chain previous_response_id or recognise response ids by prefix "
                "may reject it",
                at=at(ptr, "id"),
                severity=Severity.WARNING,
            )


@check(
    "response.created_at",
    clause="openai: Response.created_at — Unix timestamp (in seconds), integer",
    summary="`created_at` is an integer number of seconds since the epoch, in a plausible range.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def created_at_seconds(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        value = response.get("created_at")
        problem = timestamp_problem(value)
        if problem:
            yield Violation(f"created_at is {shown(value)}: {problem}", at=at(ptr, "created_at"))


@check(
    "response.completed_at",
    clause="openai: Response.completed_at — Unix timestamp (in seconds), only present when completed",
    summary="`completed_at`, when set, is integer seconds, not before created_at, on a completed response.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def completed_at_seconds(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    # Absent or null is fine: responses recorded before 2025-08 have no completed_at at all.
    for response, ptr in response_objects(ex):
        value = response.get("completed_at")
        if value is None:
            continue
        problem = timestamp_problem(value)
        created = response.get("created_at")
        if problem:
            yield Violation(f"completed_at is {shown(value)}: {problem}", at=at(ptr, "completed_at"))
        elif isinstance(created, int) and value < created:
            yield Violation(
                f"completed_at ({value}) is before created_at ({created})", at=at(ptr, "completed_at")
            )
        if response.get("status") != "completed":
            yield Violation(
                f"completed_at is set on a response whose status is {shown(response.get('status'))}; "
                "the spec has it only on completed responses",
                at=at(ptr, "completed_at"),
                severity=Severity.WARNING,
            )


def timestamp_problem(value: Any) -> str | None:
    """Why ``value`` is not a Unix timestamp in integer seconds, or None when it is one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"a {json_type(value)}, where the spec has an integer Unix timestamp in seconds"
    if isinstance(value, float):
        # Even 1784324967.0: JSON integer decoders (Go's int64, Rust's u64) reject the ".0".
        return (
            "a number written with a fraction; the spec has an integer number of seconds, and "
            "strictly typed SDKs (e.g. Go's int64) fail to decode it"
        )
    if value > LATEST_SECONDS * 100:
        return "this looks like milliseconds; the spec has seconds since the epoch"
    if not EARLIEST_SECONDS <= value <= LATEST_SECONDS:
        return "not a plausible creation time in seconds since the epoch (expected 2020..2100)"
    return None


@check(
    "response.model",
    clause="openai: Response.model — required, the model ID used",
    summary="A Response names its model (a non-empty string).",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def model_present(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        value = response.get("model")
        if not isinstance(value, str) or not value:
            yield Violation(
                f"Response model is {shown(value)}; it must name the model that produced it",
                at=at(ptr, "model"),
            )


# --- status ----------------------------------------------------------------------------


@check(
    "response.status",
    clause="openai: Response.status — enum completed|failed|in_progress|cancelled|queued|incomplete",
    summary="`status` is one of the six documented values.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def status_in_enum(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        value = response.get("status")
        if value not in STATUSES:
            yield Violation(
                f"Response status is {shown(value)}; it must be one of {', '.join(STATUSES)}",
                at=at(ptr, "status"),
            )


@check(
    "response.status_consistency",
    clause=(
        "openai: Response.error / incomplete_details — error set iff status failed; "
        "incomplete_details set iff status incomplete"
    ),
    summary="incomplete ⇔ incomplete_details.reason, failed ⇔ error; a completed response has neither "
    "and no incomplete output item.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def status_consistency(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        status = response.get("status")
        if status not in STATUSES:
            continue  # response.status reports it
        error = response.get("error")
        details = response.get("incomplete_details")
        if status == "failed" and not error:
            yield Violation(
                'status is "failed" but error is not set; clients show error.code and '
                "error.message to say why it failed",
                at=at(ptr, "error"),
            )
        if status != "failed" and error:
            yield Violation(
                f'error is set ({shown(error)}) on a response whose status is "{status}"; '
                'error belongs only to status "failed"',
                at=at(ptr, "error"),
            )
        if status == "incomplete" and not (isinstance(details, dict) and details.get("reason")):
            missing = "incomplete_details.reason" if isinstance(details, dict) else "incomplete_details"
            yield Violation(
                f'status is "incomplete" but {missing} is not set; clients read '
                "incomplete_details.reason (max_output_tokens, content_filter) to say why",
                at=at(ptr, *missing.split(".")),
            )
        if status == "completed":
            yield from truncated_items(response, ptr)
        if status != "incomplete" and details:
            yield Violation(
                f"incomplete_details is set ({shown(details)}) on a response whose status is "
                f'"{status}"; it belongs only to status "incomplete"',
                at=at(ptr, "incomplete_details"),
            )


def truncated_items(response: dict[str, Any], ptr: str) -> Iterator[Violation]:
    """A completed response holding an item that says it was cut off: truncation reported as success."""
    for item, item_ptr in output_items(response, ptr):
        if item.get("status") == "incomplete":
            yield Violation(
                f'status is "completed" but output item {shown(item.get("id"))} ({shown(item.get("type"))}) '
                'is "incomplete": the output was cut off (max_output_tokens, content_filter) and the '
                'response must say so (status "incomplete" with incomplete_details.reason); clients '
                "that trust completed show a truncated answer as whole",
                at=at(item_ptr, "status"),
            )


# --- output items ----------------------------------------------------------------------


@check(
    "response.output.items",
    clause="openai: Response.output — array of OutputItem, each discriminated by `type`",
    summary="`output` is an array of objects, each with a string `type`.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def output_is_typed_items(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, ptr in response_objects(ex):
        output = response.get("output")
        if not isinstance(output, list):
            yield Violation(
                f"Response output is a {json_type(output)}; it must be an array of output items "
                "(a Chat Completions-style `choices` or a bare string breaks every SDK)",
                at=at(ptr, "output"),
            )
            continue
        for i, item in enumerate(output):
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                yield Violation(
                    f"output item {i} has no string `type` ({shown(item)}); SDKs dispatch "
                    "each item on its type (message, function_call, reasoning, ...)",
                    at=at(ptr, "output", i),
                )


@dataclass(frozen=True, slots=True)
class MessageRules:
    """What an output message may hold under a profile."""

    roles: tuple[str, ...]
    part_types: tuple[str, ...]


# OpenAI's OutputMessage: role assistant, parts output_text | refusal. Open Responses has
# one Message type for input and output, with four roles and nine part types.
OPENAI_MESSAGE = MessageRules(("assistant",), ("output_text", "refusal"))
OPEN_RESPONSES_MESSAGE = MessageRules(
    ("user", "assistant", "system", "developer"),
    (
        "input_text",
        "output_text",
        "text",
        "summary_text",
        "reasoning_text",
        "refusal",
        "input_image",
        "input_file",
        "input_video",
    ),
)


TEXT_PART_TYPES = ("output_text", "text", "summary_text", "reasoning_text", "input_text")


def message_rules(ctx: CheckContext) -> MessageRules:
    return OPEN_RESPONSES_MESSAGE if ctx.profile.schema_dir == "openresponses" else OPENAI_MESSAGE


@check(
    "response.output.message",
    clause="openai: OutputMessage — role assistant; content: array of output_text | refusal "
    "(openresponses: Message, its roles and part types)",
    summary="A message item has role assistant and an array of output_text/refusal parts; "
    "output_text has text and annotations.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def message_items(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    rules = message_rules(ctx)
    for _, item, item_ptr in output_items_by_type(ex).get("message", ()):
        yield from message_problems(item, item_ptr, rules)


def message_problems(item: dict[str, Any], ptr: str, rules: MessageRules) -> Iterator[Violation]:
    role = item.get("role")
    if role not in rules.roles:
        yield Violation(
            f"output message has role {shown(role)}; an output message's role is "
            + " or ".join(f'"{r}"' for r in rules.roles),
            at=at(ptr, "role"),
        )
    content = item.get("content")
    if not isinstance(content, list):
        yield Violation(
            f"output message content is a {json_type(content)}; the Responses API has an array of "
            'parts ({"type": "output_text", "text": ..., "annotations": []}), a string is the '
            "Chat Completions shape",
            at=at(ptr, "content"),
        )
        return
    for j, part in enumerate(content):
        part_ptr = f"{ptr}/content/{j}"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in rules.part_types:
            yield Violation(
                f"message content part has type {shown(kind)}; an output message's parts are "
                + ", ".join(rules.part_types),
                at=at(part_ptr, "type") if isinstance(part, dict) else part_ptr,
            )
        elif kind == "refusal":
            if not isinstance(part.get("refusal"), str):
                yield Violation(
                    f"refusal part has refusal {shown(part.get('refusal'))}; it must be a string",
                    at=at(part_ptr, "refusal"),
                )
        elif kind in TEXT_PART_TYPES:
            if not isinstance(part.get("text"), str):
                yield Violation(
                    f"{kind} part has text {shown(part.get('text'))}; it must be a string",
                    at=at(part_ptr, "text"),
                )
            if kind == "output_text" and not isinstance(part.get("annotations"), list):
                yield Violation(
                    f"output_text part has annotations {shown(part.get('annotations'))}; it must "
                    "be an array (empty when there are none): SDKs iterate it without a check",
                    at=at(part_ptr, "annotations"),
                )


@check(
    "response.output.function_call",
    clause="openai: FunctionToolCall — call_id, name, arguments (a JSON string)",
    summary="A function_call item has call_id and name, and its arguments string parses as JSON.",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def function_call_items(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for response, item, item_ptr in output_items_by_type(ex).get("function_call", ()):
        yield from function_call_problems(item, item_ptr, owes_whole_output(item, response))


def owes_whole_output(item: dict[str, Any], response: dict[str, Any]) -> bool:
    """Whether an item's generated text (a call's arguments) must be whole: only a completed item.

    An item cut by max_output_tokens (status ``incomplete``, OpenAI sends such arguments
    truncated mid-JSON) or still being generated owes nothing yet, nor does any item of a
    response still queued or in progress; an item without a status is judged by its response's.
    """
    if response.get("status") in UNFINISHED_STATUSES:
        return False
    status = item.get("status")
    return status == "completed" if status is not None else response.get("status") == "completed"


def function_call_problems(item: dict[str, Any], ptr: str, complete: bool) -> Iterator[Violation]:
    for field, why in (
        ("call_id", "the client echoes it in function_call_output"),
        ("name", "the client dispatches on it"),
    ):
        value = item.get(field)
        if not isinstance(value, str) or not value:
            yield Violation(
                f"function_call {field} is {shown(value)}; it must be a non-empty string ({why})",
                at=at(ptr, field),
            )
    arguments = item.get("arguments")
    if not isinstance(arguments, str):
        yield Violation(
            f"function_call arguments is a {json_type(arguments)}; the Responses API sends a JSON "
            "*string* (SDKs json.loads it), not a decoded object",
            at=at(ptr, "arguments"),
        )
    elif complete:
        try:
            json.loads(arguments)
        except json.JSONDecodeError as exc:
            yield Violation(
                f"function_call arguments {shown(arguments)} is not valid JSON ({exc.msg}); "
                "the client cannot decode the call",
                at=at(ptr, "arguments"),
            )


@check(
    "response.output.reasoning",
    clause="openai: ReasoningItem — summary: array of summary_text; content: array of reasoning_text",
    summary="A reasoning item has a summary array of summary_text parts (and reasoning_text content).",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def reasoning_items(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for _, item, item_ptr in output_items_by_type(ex).get("reasoning", ()):
        yield from reasoning_problems(item, item_ptr)


def reasoning_problems(item: dict[str, Any], ptr: str) -> Iterator[Violation]:
    summary = item.get("summary")
    if not isinstance(summary, list):
        yield Violation(
            f"reasoning summary is a {json_type(summary)}; it must be an array of "
            '{"type": "summary_text", "text": ...} parts (empty when no summary was asked for)',
            at=at(ptr, "summary"),
        )
    else:
        yield from text_parts(summary, "summary_text", "reasoning summary", at(ptr, "summary"))
    content = item.get("content")
    if content is not None:
        if not isinstance(content, list):
            yield Violation(
                f"reasoning content is a {json_type(content)}; it must be an array of "
                '{"type": "reasoning_text", "text": ...} parts',
                at=at(ptr, "content"),
            )
        else:
            yield from text_parts(content, "reasoning_text", "reasoning content", at(ptr, "content"))


def _well_typed(field: str, value: Any) -> bool:
    return isinstance(value, _ECHOED_TYPES[field]) and not isinstance(value, bool)


def text_parts(parts: list[Any], kind: str, where: str, ptr: str) -> Iterator[Violation]:
    for j, part in enumerate(parts):
        if not isinstance(part, dict) or part.get("type") != kind or not isinstance(part.get("text"), str):
            yield Violation(
                f'{where} part {j} is {shown(part)}; expected {{"type": "{kind}", "text": "..."}}',
                at=at(ptr, j),
            )


# --- what the request asked for, echoed ------------------------------------------------

# Request fields a Response echoes verbatim. A relay that rewrites them (injects its own
# instructions, drops the chain) changes what the model saw.
ECHOED_FIELDS = ("previous_response_id", "instructions", "metadata", "max_output_tokens")
# What each takes: a relay that accepted a wrongly typed value (max_output_tokens: "49") and echoes
# it coerced (49) has not rewritten it; accepting it at all is the error suite's finding.
_ECHOED_TYPES: dict[str, type | tuple[type, ...]] = {
    "previous_response_id": str,
    "instructions": (str, list),
    "metadata": dict,
    "max_output_tokens": int,
}


@check(
    "response.echo",
    clause="openai: Response echoes previous_response_id, instructions, metadata, max_output_tokens",
    summary="Fields the create request set come back unchanged in the Response.",
    endpoints=("create",),
)
@once_per_fault
def echoes_request(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    request = ex.request.body
    if not isinstance(request, dict):
        return
    asked = {f: request[f] for f in ECHOED_FIELDS if _well_typed(f, request.get(f))}
    # Instructions given as input items may come back with ids added: compare strings only.
    if not isinstance(asked.get("instructions", ""), str):
        del asked["instructions"]
    if not asked:
        return
    for response, ptr in response_objects(ex):
        for field, sent in asked.items():
            got = response.get(field)
            if got == sent or (field == "previous_response_id" and got is not None):
                continue  # another previous_response_id is response.id.round_trip's
            if got is None:
                yield Violation(
                    f"the request set {field} = {shown(sent)} but the Response does not echo it "
                    "(it is missing or null)",
                    at=at(ptr, field),
                    severity=Severity.WARNING,
                )
            else:
                yield Violation(
                    f"the request set {field} = {shown(sent)} but the Response says "
                    f"{shown(got)}; a relay must pass it through unchanged",
                    at=at(ptr, field),
                )
