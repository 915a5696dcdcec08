"""``POST /v1/chat/completions`` from the same deterministic model (JSON and SSE).

So a real relay can use the reference server as its upstream: the relay speaks Chat
Completions to it and Responses to respcheck.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from respcheck.server import events as ev
from respcheck.server import tokens
from respcheck.server.errors import invalid_type, invalid_value, missing_parameter
from respcheck.server.ids import new_id
from respcheck.server.model import ModelSpec, Reply, Turn, reply, text_of
from respcheck.server.params import parse_model
from respcheck.server.request_json import check_range, optional_param, reject_unknown

CHAT_PARAMETERS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "n",
        "max_tokens",
        "max_completion_tokens",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "user",
        "metadata",
        "store",
        "seed",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
        "service_tier",
        "modalities",
        "prediction",
        "audio",
        "web_search_options",
        "prompt_cache_key",
        "safety_identifier",
        "verbosity",
    }
)


@dataclass
class Completion:
    id: str
    model: str
    created: int
    reply: Reply
    prompt_tokens: int
    max_tokens: int | None
    stream: bool = False
    include_usage: bool = False
    call_ids: list[str] = field(default_factory=list)


def parse_chat(body: dict[str, Any], models: dict[str, ModelSpec]) -> Completion:
    reject_unknown(body, CHAT_PARAMETERS)
    spec = parse_model(body, models)
    messages = body.get("messages")
    if messages is None:
        raise missing_parameter("messages")
    if not isinstance(messages, list):
        raise invalid_type("messages", "array", messages)
    if not messages:
        raise invalid_value(
            "messages",
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
            "empty array instead.",
            "empty_array",
        )
    items, instructions = _items_from_messages(messages)
    for name, high in (("temperature", 2.0), ("top_p", 1.0)):
        value = optional_param(body, name, "number")
        if value is not None:
            check_range(name, value, 0.0, high)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise invalid_value("max_tokens", "Invalid 'max_tokens': expected a positive integer.")
    tools = [
        {"type": "function", **t["function"]}
        for t in body.get("tools") or []
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
    ]
    tool_choice = body.get("tool_choice") or "auto"
    if isinstance(tool_choice, dict) and isinstance(tool_choice.get("function"), dict):
        tool_choice = {"type": "function", "name": tool_choice["function"].get("name")}
    fmt = body.get("response_format") or {"type": "text"}
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        fmt = {"type": "json_schema", **(fmt.get("json_schema") or {})}
    turn = Turn(
        instructions=instructions,
        items=items,
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        text_format=fmt if isinstance(fmt, dict) else {"type": "text"},
    )
    planned = reply(turn, spec)
    planned.summary = None  # chat completions carry no reasoning summary
    prompt = 3 + sum(4 + tokens.count(text_of(m)) for m in messages if isinstance(m, dict))
    options = body.get("stream_options") or {}
    return Completion(
        id=new_id("chatcmpl"),
        model=spec.name,
        created=int(time.time()),
        reply=planned,
        prompt_tokens=prompt,
        max_tokens=limit,
        stream=body.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        call_ids=[new_id("call") for _ in planned.calls],
    )


def _items_from_messages(messages: list[Any]) -> tuple[list[dict[str, Any]], str | None]:
    items: list[dict[str, Any]] = []
    system: list[str] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid_type(f"messages[{i}]", "object", message)
        role = message.get("role")
        if role is None:
            raise missing_parameter(f"messages[{i}].role")
        if role in ("system", "developer"):
            system.append(text_of(message))
        elif role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id"),
                    "output": text_of(message),
                }
            )
        elif role in ("user", "assistant"):
            items.append({"type": "message", "role": role, "content": text_of(message)})
            for call in message.get("tool_calls") or []:
                fn = call.get("function") or {}
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.get("id"),
                        "name": fn.get("name"),
                        "arguments": fn.get("arguments", ""),
                    }
                )
        else:
            raise invalid_value(f"messages[{i}].role", f"Invalid value: '{role}'.")
    return items, "\n".join(system) or None


def _visible_text(completion: Completion) -> tuple[list[str], str]:
    pieces = tokens.split_tokens(completion.reply.text or "")
    finish = "tool_calls" if completion.reply.calls else "stop"
    if completion.max_tokens is not None and len(pieces) > completion.max_tokens:
        pieces, finish = pieces[: completion.max_tokens], "length"
    return pieces, finish


def _usage(completion: Completion, completion_tokens: int) -> dict[str, Any]:
    reasoning = completion.reply.reasoning_tokens
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion_tokens + reasoning,
        "total_tokens": completion.prompt_tokens + completion_tokens + reasoning,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_calls(completion: Completion) -> list[dict[str, Any]]:
    return [
        {"id": call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for call_id, c in zip(completion.call_ids, completion.reply.calls, strict=True)
    ]


def completion_body(completion: Completion) -> dict[str, Any]:
    pieces, finish = _visible_text(completion)
    calls = _tool_calls(completion)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(pieces) if not calls else None,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = calls
    used = len(pieces) + sum(tokens.count(c.arguments) for c in completion.reply.calls)
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(completion, used),
        "service_tier": "default",
        "system_fingerprint": None,
    }


def _chunk(completion: Completion, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
        "service_tier": "default",
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if completion.include_usage:
        chunk["usage"] = None
    return chunk


async def chunk_frames(completion: Completion, latency: float) -> AsyncIterator[bytes]:
    """Chat streams are ``data:`` lines only, ending with ``data: [DONE]``."""
    pieces, finish = _visible_text(completion)
    calls = _tool_calls(completion)
    chunks = [
        _chunk(completion, {"role": "assistant", "content": "" if not calls else None, "refusal": None}, None)
    ]
    if calls:
        for index, call in enumerate(calls):
            head = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            chunks.append(_chunk(completion, {"tool_calls": [head]}, None))
            for piece in tokens.split_tokens(call["function"]["arguments"]):
                chunks.append(
                    _chunk(
                        completion, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None
                    )
                )
    else:
        chunks += [_chunk(completion, {"content": piece}, None) for piece in pieces]
    chunks.append(_chunk(completion, {}, finish))
    if completion.include_usage:
        used = len(pieces) + sum(tokens.count(c.arguments) for c in completion.reply.calls)
        final = _chunk(completion, {}, None)
        final["choices"] = []
        final["usage"] = _usage(completion, used)
        chunks.append(final)
    for chunk in chunks:
        if latency > 0:
            await asyncio.sleep(latency)
        yield ev.sse_data_frame(ev.encode_json(chunk))
    yield ev.sse_data_frame("[DONE]")
