"""Faults in JSON bodies: the Response object's fields and its usage (``response.*``, ``usage.*``,
``schema.*`` checks)."""

from __future__ import annotations

from typing import Any

from respcheck.faults.edits import (
    items,
    on_request,
    on_responses,
    pop_fields,
    set_field,
    text_parts,
    usage_of,
)
from respcheck.faults.registry import (
    CREATE_JSON,
    REASONING_TOKENS,
    STREAM_TEXT,
    TINY_MAX_JSON,
    contract,
)

# ====================================================================================================
# Response objects
# ====================================================================================================

OBJECT_SCENARIOS = (CREATE_JSON, STREAM_TEXT)

contract(
    "object_not_response",
    "relay that labels Responses answers object: chat.completion",
    "response.object",
    OBJECT_SCENARIOS,
    reply=on_responses(set_field("object", "chat.completion")),
    fast=True,
)
contract(
    "created_at_milliseconds",
    "relay written in JavaScript: created_at = Date.now()",
    "response.created_at",
    OBJECT_SCENARIOS,
    reply=on_responses(lambda r: r.update(created_at=r["created_at"] * 1000)),
)
contract(
    "created_at_float",
    "relay that stamps time.time() without int()",
    "response.created_at",
    OBJECT_SCENARIOS,
    reply=on_responses(lambda r: r.update(created_at=r["created_at"] + 0.25)),
)
contract(
    "required_field_missing",
    "relay whose response model omits fields it does not use (tools)",
    "schema.response",
    OBJECT_SCENARIOS,
    reply=on_responses(pop_fields("tools")),
)


def _status_from_to(old: str, new: str):
    def edit(response: dict[str, Any]) -> None:
        if response.get("status") == old:
            response["status"] = new

    return edit


contract(
    "status_complete",
    "relay that writes status 'complete' (not 'completed')",
    "response.status",
    (CREATE_JSON,),
    reply=on_responses(_status_from_to("completed", "complete")),
    fast=True,
)
contract(
    "completed_with_incomplete_details",
    "relay that maps every finished upstream answer to completed",
    "response.status_consistency",
    (TINY_MAX_JSON,),
    reply=on_responses(_status_from_to("incomplete", "completed")),
)
contract(
    "max_output_tokens_ignored",
    "relay that does not forward max_output_tokens and reports completed",
    "usage.max_output_tokens",
    (TINY_MAX_JSON,),
    request=on_request(pop_fields("max_output_tokens")),
    reply=on_responses(lambda r: r.update(max_output_tokens=16)),
)


def _content_as_string(response: dict[str, Any]) -> None:
    for item in items(response, "message"):
        item["content"] = "".join(p.get("text", "") for p in item.get("content") or [])


contract(
    "content_as_string",
    "relay that flattens message content to Chat's plain string",
    "response.output.message",
    OBJECT_SCENARIOS,
    reply=on_responses(_content_as_string),
    fast=True,
)


def _drop_annotations(response: dict[str, Any]) -> None:
    for part in text_parts(response):
        part.pop("annotations", None)


contract(
    "annotations_missing",
    "relay that omits empty annotations arrays",
    "response.output.message",
    (CREATE_JSON,),
    reply=on_responses(_drop_annotations),
)
contract(
    "model_missing",
    "relay that strips the model name (to hide its upstream)",
    "response.model",
    (CREATE_JSON,),
    reply=on_responses(pop_fields("model")),
)

# ====================================================================================================
# Usage
# ====================================================================================================


def _chat_usage(response: dict[str, Any]) -> None:
    usage = usage_of(response)
    if usage:
        response["usage"] = {
            "prompt_tokens": usage["input_tokens"],
            "completion_tokens": usage["output_tokens"],
            "total_tokens": usage["total_tokens"],
        }


contract(
    "usage_chat_names",
    "relay translating from Chat Completions that keeps prompt/completion_tokens",
    "usage.names",
    OBJECT_SCENARIOS,
    reply=on_responses(_chat_usage, final_only=True),
    fast=True,
)
contract(
    "usage_total_wrong",
    "relay that adds its own prompt overhead to total_tokens only",
    "usage.total",
    OBJECT_SCENARIOS,
    reply=on_responses(
        lambda r: usage_of(r).update(total_tokens=usage_of(r).get("total_tokens", 0) + 7), final_only=True
    ),
)
contract(
    "usage_missing",
    "relay that drops usage from the final response",
    "usage.present",
    OBJECT_SCENARIOS,
    reply=on_responses(pop_fields("usage"), final_only=True),
    fast=True,
)


def _zero_usage(response: dict[str, Any]) -> None:
    usage = usage_of(response)
    if usage:
        usage.update(input_tokens=0, output_tokens=0, total_tokens=0)


contract(
    "usage_zero",
    "relay that cannot count and reports zeros on a completed response",
    "usage.nonzero",
    OBJECT_SCENARIOS,
    reply=on_responses(_zero_usage, final_only=True),
)


def _detail_above_total(details: str, part: str, total: str):
    """A detail count larger than the total it is part of."""

    def edit(response: dict[str, Any]) -> None:
        usage = usage_of(response)
        if isinstance(usage.get(details), dict):
            usage[details][part] = usage.get(total, 0) + 10

    return edit


contract(
    "cached_exceeds_input",
    "relay that reports its own cache hits on top of upstream's",
    "usage.details_within_totals",
    (CREATE_JSON,),
    reply=on_responses(
        _detail_above_total("input_tokens_details", "cached_tokens", "input_tokens"), final_only=True
    ),
)
contract(
    "reasoning_exceeds_output",
    "relay that double-counts reasoning tokens in the details only",
    "usage.details_within_totals",
    (REASONING_TOKENS,),
    reply=on_responses(
        _detail_above_total("output_tokens_details", "reasoning_tokens", "output_tokens"), final_only=True
    ),
)
contract(
    "usage_details_missing",
    "relay that keeps only the three totals",
    "schema.response",
    (CREATE_JSON,),
    reply=on_responses(
        lambda r: pop_fields("input_tokens_details", "output_tokens_details")(usage_of(r)), final_only=True
    ),
)
