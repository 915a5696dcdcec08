"""Build the objects the server returns: the Response, its output items, usage, lists.

Shapes copied from real OpenAI traffic (tests/fixtures, 2026): every field a current
Response carries, in OpenAI's order.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from respcheck.server import tokens
from respcheck.server.params import CreateParams

# Token overheads of the chat format, fitted to OpenAI's input_tokens answers in the fixtures.
REQUEST_OVERHEAD = 4
ITEM_OVERHEAD = 4
IMAGE_TOKENS = 85


def base_response(params: CreateParams, response_id: str, created_at: int, status: str) -> dict[str, Any]:
    """A Response with nothing generated yet (``output: []``, ``usage: null``)."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": params.background,
        "completed_at": None,
        "error": None,
        "frequency_penalty": 0.0,
        "incomplete_details": None,
        "instructions": params.instructions,
        "max_output_tokens": params.max_output_tokens,
        "max_tool_calls": params.max_tool_calls,
        "model": params.model,
        "output": [],
        "parallel_tool_calls": params.parallel_tool_calls,
        "presence_penalty": 0.0,
        "previous_response_id": params.previous_response_id,
        "prompt_cache_key": params.prompt_cache_key,
        "prompt_cache_retention": params.prompt_cache_retention,
        "reasoning": dict(params.reasoning),
        "safety_identifier": params.safety_identifier,
        "service_tier": params.service_tier,
        "store": params.store,
        "temperature": params.temperature,
        "text": params.text,
        "tool_choice": params.tool_choice,
        "tools": params.tools,
        "top_logprobs": params.top_logprobs,
        "top_p": params.top_p,
        "truncation": params.truncation,
        "usage": None,
        "user": params.user,
        "metadata": params.metadata,
    }


def usage(
    input_tokens: int, output_tokens: int, reasoning_tokens: int, cached_tokens: int = 0
) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": cached_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


# ---------------------------------------------------------------- output items


def message_item(
    item_id: str, status: str, text: str | None, logprobs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    content = [] if text is None else [output_text_part(text, logprobs)]
    return {"id": item_id, "type": "message", "status": status, "content": content, "role": "assistant"}


def output_text_part(text: str, logprobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": logprobs or [], "text": text}


def text_logprobs(text: str, top: int) -> list[dict[str, Any]]:
    """Per-token logprobs of a deterministic model: each chosen token has probability 1.

    Every other token has probability 0 (log -inf, not representable in JSON), so
    ``top_logprobs`` lists only the chosen token, whatever ``top_logprobs`` asked for.
    """
    found = []
    for piece in tokens.split_tokens(text):
        raw = list(piece.encode("utf-8"))
        alternatives = [{"token": piece, "logprob": 0.0, "bytes": raw}] if top > 0 else []
        found.append({"token": piece, "logprob": 0.0, "bytes": raw, "top_logprobs": alternatives})
    return found


def function_call_item(item_id: str, status: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "arguments": arguments,
        "call_id": call_id,
        "name": name,
    }


def reasoning_item(item_id: str, summary: list[str], encrypted: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "type": "reasoning",
        "summary": [summary_part(text) for text in summary],
    }
    if encrypted:
        item["encrypted_content"] = encrypted_reasoning(item_id)
    return item


def summary_part(text: str) -> dict[str, Any]:
    return {"type": "summary_text", "text": text}


def encrypted_reasoning(item_id: str) -> str:
    """Opaque, deterministic stand-in for OpenAI's encrypted reasoning blob."""
    return "gAAAAA" + base64.urlsafe_b64encode(f"respcheck-reference:{item_id}".encode()).decode()


# ---------------------------------------------------------------- counting


def item_tokens(item: dict[str, Any]) -> int:
    kind = item.get("type")
    if kind == "message":
        total = ITEM_OVERHEAD
        for part in item.get("content") or []:
            if part.get("type") in ("input_text", "output_text"):
                total += tokens.count(part.get("text", ""))
            elif part.get("type") == "refusal":
                total += tokens.count(part.get("refusal", ""))
            elif part.get("type") == "input_image":
                total += IMAGE_TOKENS
            elif part.get("type") == "input_file":
                total += tokens.count(str(part.get("filename") or "")) + IMAGE_TOKENS
        return total
    if kind == "function_call":
        return ITEM_OVERHEAD + tokens.count(item.get("name", "")) + tokens.count(item.get("arguments", ""))
    if kind == "function_call_output":
        output = item.get("output")
        return ITEM_OVERHEAD + tokens.count(output if isinstance(output, str) else json.dumps(output))
    if kind == "reasoning":
        return sum(tokens.count(p.get("text", "")) for p in item.get("summary") or [] if isinstance(p, dict))
    return ITEM_OVERHEAD


def input_token_count(
    instructions: str | None,
    items: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    text_format: dict[str, Any] | None = None,
) -> int:
    total = REQUEST_OVERHEAD
    if instructions:
        total += ITEM_OVERHEAD + tokens.count(instructions)
    total += sum(item_tokens(i) for i in items)
    for tool in tools:
        total += tokens.count(json.dumps(tool, separators=(",", ":"), ensure_ascii=False))
    if text_format and text_format.get("type") == "json_schema":
        total += tokens.count(json.dumps(text_format.get("schema"), separators=(",", ":")))
    return total


# ---------------------------------------------------------------- other bodies


def deleted(response_id: str) -> dict[str, Any]:
    return {"id": response_id, "object": "response.deleted", "deleted": True}


def item_list(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def input_tokens_result(count: int) -> dict[str, Any]:
    return {"object": "response.input_tokens", "input_tokens": count}
