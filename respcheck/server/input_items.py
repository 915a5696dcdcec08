"""A create request's ``input`` (a string, or items: messages, tool outputs, references) turned into
the item dicts the store keeps, or the 400 OpenAI answers for the first bad item.
"""

from __future__ import annotations

from typing import Any

from respcheck.server.errors import (
    invalid_type,
    invalid_value,
    missing_parameter,
)
from respcheck.server.ids import new_id
from respcheck.server.request_json import one_of

# ---------------------------------------------------------------- input items


def normalize_input(value: Any, param: str) -> list[dict[str, Any]]:
    """``input`` as stored items, each with an id (a string becomes one user message)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [_message("user", [{"type": "input_text", "text": value}])]
    if not isinstance(value, list):
        raise invalid_type(param, "array", value)
    return [_normalize_item(item, f"{param}[{i}]") for i, item in enumerate(value)]


def _message(role: str, content: list[dict[str, Any]], item_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id or new_id("msg"),
        "status": "completed",
        "role": role,
        "content": content,
    }


def _normalize_item(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid_type(where, "object", item)
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        return _normalize_message(item, where)
    if kind == "function_call":
        for name in ("call_id", "name", "arguments"):
            if not isinstance(item.get(name), str):
                raise (
                    missing_parameter(f"{where}.{name}")
                    if name not in item
                    else invalid_type(f"{where}.{name}", "string", item[name])
                )
        return {
            "type": "function_call",
            "id": item.get("id") or new_id("fc"),
            "call_id": item["call_id"],
            "name": item["name"],
            "arguments": item["arguments"],
            "status": item.get("status") or "completed",
        }
    if kind == "function_call_output":
        if not isinstance(item.get("call_id"), str):
            raise missing_parameter(f"{where}.call_id")
        if "output" not in item:
            raise missing_parameter(f"{where}.output")
        output = item["output"]
        if not isinstance(output, (str, list)):
            raise invalid_type(f"{where}.output", "string", output)
        return {
            "type": "function_call_output",
            "id": item.get("id") or new_id("fco"),
            "call_id": item["call_id"],
            "output": output,
            "status": item.get("status") or "completed",
        }
    if kind == "reasoning":
        summary = item.get("summary")
        if not isinstance(summary, list):
            raise missing_parameter(f"{where}.summary")
        normalized = {"type": "reasoning", "id": item.get("id") or new_id("rs"), "summary": summary}
        if item.get("encrypted_content") is not None:
            normalized["encrypted_content"] = item["encrypted_content"]
        return normalized
    if kind is None:
        raise missing_parameter(f"{where}.type")
    raise invalid_value(
        f"{where}.type",
        f"Invalid value: '{kind}'. This server accepts 'message', 'function_call', "
        "'function_call_output' and 'reasoning' items.",
        "invalid_value",
    )


_INPUT_PARTS = ("input_text", "input_image", "input_file")


def _normalize_message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role is None:
        raise missing_parameter(f"{where}.role")
    one_of(f"{where}.role", role, ("user", "assistant", "system", "developer"))
    content = item.get("content")
    if content is None:
        raise missing_parameter(f"{where}.content")
    text_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(content, str):
        return _message(role, [_text_part(text_type, content)], item.get("id"))
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "array", content)
    parts = [_normalize_part(part, f"{where}.content[{i}]", role) for i, part in enumerate(content)]
    return _message(role, parts, item.get("id"))


def _text_part(kind: str, text: str) -> dict[str, Any]:
    if kind == "output_text":
        return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    return {"type": kind, "text": text}


def _normalize_part(part: Any, where: str, role: str) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise invalid_type(where, "object", part)
    kind = part.get("type")
    allowed = ("output_text", "refusal") if role == "assistant" else _INPUT_PARTS
    one_of(f"{where}.type", kind, allowed)
    if kind in ("input_text", "output_text"):
        if not isinstance(part.get("text"), str):
            raise (
                missing_parameter(f"{where}.text")
                if "text" not in part
                else invalid_type(f"{where}.text", "string", part["text"])
            )
        return _text_part(kind, part["text"])
    if kind == "refusal":
        return {"type": "refusal", "refusal": str(part.get("refusal", ""))}
    if kind == "input_image":
        url, file_id = part.get("image_url"), part.get("file_id")
        if url is None and file_id is None:
            raise missing_parameter(f"{where}.image_url")
        if url is not None and (
            not isinstance(url, str) or not url.startswith(("http://", "https://", "data:image/"))
        ):
            raise invalid_value(
                f"{where}.image_url",
                f"Invalid '{where}.image_url'. Expected a valid URL, but got a value with an invalid format.",
                "invalid_value",
            )
        detail = part.get("detail") or "auto"
        one_of(f"{where}.detail", detail, ("low", "high", "auto"))
        return {"type": "input_image", "detail": detail, "file_id": file_id, "image_url": url}
    # input_file
    if not any(part.get(k) for k in ("file_id", "file_data", "file_url")):
        raise missing_parameter(f"{where}.file_data")
    kept = {k: part[k] for k in ("file_id", "file_data", "file_url", "filename") if part.get(k) is not None}
    return {"type": "input_file", **kept}
