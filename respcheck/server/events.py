"""The streaming events, one small builder per event type, and their SSE framing.

Builders return the event without ``sequence_number``; ``sequenced`` adds it (last, as
OpenAI does). ``item_events`` turns one finished output item into the events that stream
it, for live runs and for replaying a stored response alike. ``sse_frame`` and
``sse_data_frame`` are the server's only SSE writers (``\\n`` line ends, compact JSON).

Events share nested values with the Response they were built from (copying every
snapshot cost more than the rest of a request): copy one before changing it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from respcheck.server.tokens import split_tokens

Event = dict[str, Any]
# The events that end a Responses stream (after one, a stream is finished, not cut).
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed", "error"})


def lifecycle(kind: str, response: dict[str, Any]) -> Event:
    """``response.created`` / ``in_progress`` / ``queued`` / ``completed`` / ``incomplete`` / ``failed``."""
    return {"type": f"response.{kind}", "response": {**response, "output": list(response["output"])}}


def output_item_added(output_index: int, item: dict[str, Any]) -> Event:
    return {"type": "response.output_item.added", "item": item, "output_index": output_index}


def output_item_done(output_index: int, item: dict[str, Any]) -> Event:
    return {"type": "response.output_item.done", "item": item, "output_index": output_index}


def content_part_added(item_id: str, output_index: int, content_index: int, part: dict[str, Any]) -> Event:
    return {
        "type": "response.content_part.added",
        "content_index": content_index,
        "item_id": item_id,
        "output_index": output_index,
        "part": part,
    }


def content_part_done(item_id: str, output_index: int, content_index: int, part: dict[str, Any]) -> Event:
    event = content_part_added(item_id, output_index, content_index, part)
    event["type"] = "response.content_part.done"
    return event


def output_text_delta(
    item_id: str,
    output_index: int,
    content_index: int,
    delta: str,
    obfuscate: bool,
    logprobs: list[dict[str, Any]] | None = None,
) -> Event:
    event: Event = {
        "type": "response.output_text.delta",
        "content_index": content_index,
        "delta": delta,
        "item_id": item_id,
        "logprobs": logprobs or [],
        "output_index": output_index,
    }
    if obfuscate:
        event["obfuscation"] = obfuscation(delta)
    return event


def output_text_done(
    item_id: str,
    output_index: int,
    content_index: int,
    text: str,
    logprobs: list[dict[str, Any]] | None = None,
) -> Event:
    return {
        "type": "response.output_text.done",
        "content_index": content_index,
        "item_id": item_id,
        "logprobs": logprobs or [],
        "output_index": output_index,
        "text": text,
    }


def function_call_arguments_delta(item_id: str, output_index: int, delta: str, obfuscate: bool) -> Event:
    event: Event = {
        "type": "response.function_call_arguments.delta",
        "delta": delta,
        "item_id": item_id,
        "output_index": output_index,
    }
    if obfuscate:
        event["obfuscation"] = obfuscation(delta)
    return event


def function_call_arguments_done(item_id: str, output_index: int, name: str, arguments: str) -> Event:
    return {
        "type": "response.function_call_arguments.done",
        "arguments": arguments,
        "item_id": item_id,
        "name": name,
        "output_index": output_index,
    }


def reasoning_summary_part_added(item_id: str, output_index: int, summary_index: int, text: str) -> Event:
    return {
        "type": "response.reasoning_summary_part.added",
        "item_id": item_id,
        "output_index": output_index,
        "part": {"type": "summary_text", "text": text},
        "summary_index": summary_index,
    }


def reasoning_summary_part_done(item_id: str, output_index: int, summary_index: int, text: str) -> Event:
    event = reasoning_summary_part_added(item_id, output_index, summary_index, text)
    event["type"] = "response.reasoning_summary_part.done"
    return event


def reasoning_summary_text_delta(
    item_id: str, output_index: int, summary_index: int, delta: str, obfuscate: bool
) -> Event:
    event: Event = {
        "type": "response.reasoning_summary_text.delta",
        "delta": delta,
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
    }
    if obfuscate:
        event["obfuscation"] = obfuscation(delta)
    return event


def reasoning_summary_text_done(item_id: str, output_index: int, summary_index: int, text: str) -> Event:
    return {
        "type": "response.reasoning_summary_text.done",
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "text": text,
    }


def error_event(code: str, message: str) -> Event:
    return {"type": "error", "code": code, "message": message, "param": None}


# ---------------------------------------------------------------- whole items


def item_events(output_index: int, item: dict[str, Any], obfuscate: bool) -> Iterator[Event]:
    """The events that stream one finished output item, from ``output_item.added`` to ``.done``."""
    kind = item.get("type")
    if kind == "message":
        yield from _message_events(output_index, item, obfuscate)
    elif kind == "function_call":
        yield from _function_call_events(output_index, item, obfuscate)
    elif kind == "reasoning":
        yield from _reasoning_events(output_index, item, obfuscate)
    else:
        yield output_item_added(output_index, item)
        yield output_item_done(output_index, item)


def _message_events(index: int, item: dict[str, Any], obfuscate: bool) -> Iterator[Event]:
    item_id = item["id"]
    yield output_item_added(index, {**item, "status": "in_progress", "content": []})
    for content_index, part in enumerate(item["content"]):
        text = part.get("text", "")
        yield content_part_added(item_id, index, content_index, {**part, "text": "", "logprobs": []})
        pieces = split_tokens(text)
        logprobs = part.get("logprobs") or []
        for n, piece in enumerate(pieces):
            # with ``bytes``: Open Responses requires them on deltas too; OpenAI's schema allows them
            delta_logprobs = [logprobs[n]] if len(logprobs) == len(pieces) else None
            yield output_text_delta(item_id, index, content_index, piece, obfuscate, delta_logprobs)
        yield output_text_done(item_id, index, content_index, text, logprobs)
        yield content_part_done(item_id, index, content_index, part)
    yield output_item_done(index, item)


def _function_call_events(index: int, item: dict[str, Any], obfuscate: bool) -> Iterator[Event]:
    item_id = item["id"]
    yield output_item_added(index, {**item, "status": "in_progress", "arguments": ""})
    for piece in split_tokens(item["arguments"]):
        yield function_call_arguments_delta(item_id, index, piece, obfuscate)
    yield function_call_arguments_done(item_id, index, item["name"], item["arguments"])
    yield output_item_done(index, item)


def _reasoning_events(index: int, item: dict[str, Any], obfuscate: bool) -> Iterator[Event]:
    item_id = item["id"]
    yield output_item_added(index, {**item, "summary": []})
    for summary_index, part in enumerate(item["summary"]):
        text = part.get("text", "")
        yield reasoning_summary_part_added(item_id, index, summary_index, "")
        for piece in split_tokens(text):
            yield reasoning_summary_text_delta(item_id, index, summary_index, piece, obfuscate)
        yield reasoning_summary_text_done(item_id, index, summary_index, text)
        yield reasoning_summary_part_done(item_id, index, summary_index, text)
    yield output_item_done(index, item)


def replay(response: dict[str, Any], obfuscate: bool = True) -> list[Event]:
    """The stream a finished response would have been (for one created without streaming)."""
    start = {
        **response,
        "status": "queued" if response.get("background") else "in_progress",
        "output": [],
        "usage": None,
        "completed_at": None,
        "incomplete_details": None,
        "error": None,
    }
    found = [lifecycle("created", start)]
    if response.get("background"):
        found.append(lifecycle("queued", start))
        start = {**start, "status": "in_progress"}
    found.append(lifecycle("in_progress", start))
    for index, item in enumerate(response.get("output") or []):
        found.extend(item_events(index, item, obfuscate))
    terminal = {"completed": "completed", "incomplete": "incomplete", "failed": "failed"}.get(
        response["status"]
    )
    if terminal:
        found.append(lifecycle(terminal, response))
    return [sequenced(event, n) for n, event in enumerate(found)]


# ---------------------------------------------------------------- sequencing and framing


def sequenced(event: Event, sequence_number: int) -> Event:
    event = dict(event)
    event["sequence_number"] = sequence_number
    return event


def obfuscation(delta: str) -> str:
    """Padding that hides the delta's length (OpenAI pads deltas this way); deterministic here."""
    length = max(1, 16 - len(delta))
    return hashlib.sha256(delta.encode()).hexdigest()[:length]


def encode_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse_frame(event: Event) -> bytes:
    """A Responses stream event: ``event: <type>``, then its JSON on one ``data:`` line."""
    return f"event: {event['type']}\ndata: {encode_json(event)}\n\n".encode()


def sse_data_frame(text: str) -> bytes:
    """A ``data:``-only event, as Chat Completions streams write them (a chunk, or ``[DONE]``)."""
    return f"data: {text}\n\n".encode()


def is_delta(event: Event) -> bool:
    return str(event.get("type", "")).endswith(".delta")
