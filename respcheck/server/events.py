"""The streaming events, one small builder per event type, and their SSE framing.

Builders return the event without ``sequence_number``; ``sequenced`` adds it (last, as
OpenAI does). ``sse_frame`` writes ``event: <type>\\ndata: <json>\\n\\n`` by hand with ``\\n``
separators. A fault catalogue wraps or mutates these functions.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

Event = dict[str, Any]


def lifecycle(kind: str, response: dict[str, Any]) -> Event:
    """``response.created`` / ``in_progress`` / ``queued`` / ``completed`` / ``incomplete`` / ``failed``."""
    return {"type": f"response.{kind}", "response": copy.deepcopy(response)}


def output_item_added(output_index: int, item: dict[str, Any]) -> Event:
    return {"type": "response.output_item.added", "item": copy.deepcopy(item), "output_index": output_index}


def output_item_done(output_index: int, item: dict[str, Any]) -> Event:
    return {"type": "response.output_item.done", "item": copy.deepcopy(item), "output_index": output_index}


def content_part_added(item_id: str, output_index: int, content_index: int, part: dict[str, Any]) -> Event:
    return {
        "type": "response.content_part.added",
        "content_index": content_index,
        "item_id": item_id,
        "output_index": output_index,
        "part": copy.deepcopy(part),
    }


def content_part_done(item_id: str, output_index: int, content_index: int, part: dict[str, Any]) -> Event:
    event = content_part_added(item_id, output_index, content_index, part)
    event["type"] = "response.content_part.done"
    return event


def output_text_delta(
    item_id: str, output_index: int, content_index: int, delta: str, obfuscate: bool
) -> Event:
    event: Event = {
        "type": "response.output_text.delta",
        "content_index": content_index,
        "delta": delta,
        "item_id": item_id,
        "logprobs": [],
        "output_index": output_index,
    }
    if obfuscate:
        event["obfuscation"] = obfuscation(delta)
    return event


def output_text_done(item_id: str, output_index: int, content_index: int, text: str) -> Event:
    return {
        "type": "response.output_text.done",
        "content_index": content_index,
        "item_id": item_id,
        "logprobs": [],
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
    return f"event: {event['type']}\ndata: {encode_json(event)}\n\n".encode()


def is_delta(event: Event) -> bool:
    return str(event.get("type", "")).endswith(".delta")
