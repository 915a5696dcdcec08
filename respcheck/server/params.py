"""Validate a create request the way OpenAI does: the first bad parameter gets a 400 naming it.

``parse_create`` turns the JSON body into ``CreateParams`` (or raises ``APIError``);
``normalize_input`` turns ``input`` (a string or items) into stored item dicts.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from respcheck import jsonpointer
from respcheck.jsontypes import json_type
from respcheck.schemas.registry import load_validator
from respcheck.server.errors import (
    APIError,
    invalid_type,
    invalid_value,
    lone_surrogate,
    missing_parameter,
    model_not_found,
    nested_too_deeply,
    number_out_of_range,
    unknown_parameter,
    unparseable_json,
)
from respcheck.server.model import ModelSpec

KNOWN_PARAMETERS = frozenset(
    {
        "background",
        "context_management",
        "conversation",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)
INCLUDABLE = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
MIN_OUTPUT_TOKENS = 16
METADATA_MAX_KEYS = 16
METADATA_MAX_KEY_LENGTH = 64
METADATA_MAX_VALUE_LENGTH = 512
SUMMARIES = ("auto", "concise", "detailed")
# Request bodies: the largest accepted (OpenAI bounds a request's total payload at 50 MB), and
# the deepest nesting (no parameter needs more; structured-output schemas stop at 10 levels).
# Both keep every later step (validation, tokenising, storing) bounded and recursion-free.
MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_JSON_DEPTH = 64
LARGEST_INTEGER = 2**64
PARAM_LIMIT = 120  # characters of a field path an error message shows
_SURROGATE = re.compile("[\ud800-\udfff]")


def new_id(prefix: str) -> str:
    """An OpenAI-looking id: ``resp_``, ``msg_``, ``fc_``, ``rs_``, ``call_`` + 48 hex digits."""
    return f"{prefix}_{os.urandom(24).hex()}"


@dataclass
class CreateParams:
    model: str
    spec: ModelSpec
    input_items: list[dict[str, Any]]
    instructions: str | None = None
    previous_response_id: str | None = None
    store: bool = True
    stream: bool = False
    background: bool = False
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    text: dict[str, Any] = field(default_factory=lambda: {"format": {"type": "text"}, "verbosity": "medium"})
    reasoning: dict[str, Any] = field(default_factory=lambda: {"effort": None, "summary": None})
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    truncation: str = "disabled"
    metadata: dict[str, str] = field(default_factory=dict)
    temperature: float = 1.0
    top_p: float = 1.0
    top_logprobs: int = 0
    include: list[str] = field(default_factory=list)
    include_obfuscation: bool = True
    service_tier: str = "auto"
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None


# ---------------------------------------------------------------- small typed readers


def optional_param(body: dict[str, Any], name: str, expected: str, parent: str = "") -> Any:
    """``body[name]`` when it has the JSON type ``expected`` (an integer is a number), None when
    absent or null; any other value is refused with OpenAI's ``invalid_type`` error.

    ``parent`` is where ``body`` sits in the request (``tools[0]``), for the error's ``param``.
    """
    value = body.get(name)
    if value is None:
        return None
    actual = json_type(value)
    if actual != expected and not (expected == "number" and actual == "integer"):
        raise invalid_type(f"{parent}.{name}" if parent else name, expected, value)
    return value


def required_param(body: dict[str, Any], name: str, expected: str, parent: str = "") -> Any:
    """Like ``optional_param``, but absent or null is OpenAI's ``missing_required_parameter``."""
    if body.get(name) is None:
        raise missing_parameter(f"{parent}.{name}" if parent else name)
    return optional_param(body, name, expected, parent)


def reject_unknown(body: dict[str, Any], known: frozenset[str]) -> None:
    """Refuse the first top-level parameter not in ``known`` (OpenAI's ``unknown_parameter``)."""
    for name in body:
        if name not in known:
            raise unknown_parameter(name)


def check_range(name: str, value: float, low: float, high: float, kind: str = "decimal") -> None:
    if value < low:
        raise invalid_value(
            name,
            f"Invalid '{name}': {kind} below minimum value. Expected a value >= {_num(low)}, "
            f"but got {_num(value)} instead.",
            code=f"{kind}_below_min_value",
        )
    if value > high:
        raise invalid_value(
            name,
            f"Invalid '{name}': {kind} above maximum value. Expected a value <= {_num(high)}, "
            f"but got {_num(value)} instead.",
            code=f"{kind}_above_max_value",
        )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        options = ", ".join(f"'{a}'" for a in allowed[:-1]) + f", and '{allowed[-1]}'"
        raise invalid_value(name, f"Invalid value: '{value}'. Supported values are: {options}.")
    return value


# ---------------------------------------------------------------- the create request


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object body (strict JSON: Python's NaN / Infinity extensions are refused), every
    value of it checked by ``check_json_values``."""
    try:
        body = json.loads(raw or b"null", parse_constant=_reject_constant)
    except RecursionError:  # thousands of nested arrays: the decoder's stack ran out
        raise nested_too_deeply(None, MAX_JSON_DEPTH) from None
    except ValueError:  # includes integers of more than 4,300 digits
        raise unparseable_json() from None
    if not isinstance(body, dict):
        raise unparseable_json()
    check_json_values(body)
    return body


def check_json_values(body: dict[str, Any]) -> None:
    """Refuse what JSON can carry but no later step can handle: nesting deeper than
    ``MAX_JSON_DEPTH``, lone surrogates (``\\ud800``: not encodable, so neither storable nor
    sendable), integers beyond 64 bits and decimals that overflowed to infinity (``1e400``).

    Iterative, so a deep body can not exhaust the stack here either.
    """
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(body, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, dict):
            if len(path) >= MAX_JSON_DEPTH:
                raise nested_too_deeply(jsonpointer.dotted(path, PARAM_LIMIT), MAX_JSON_DEPTH)
            for key, child in value.items():
                if _SURROGATE.search(key):
                    raise lone_surrogate(jsonpointer.dotted((*path, key), PARAM_LIMIT))
                pending.append((child, (*path, key)))
        elif isinstance(value, list):
            if len(path) >= MAX_JSON_DEPTH:
                raise nested_too_deeply(jsonpointer.dotted(path, PARAM_LIMIT), MAX_JSON_DEPTH)
            pending.extend((child, (*path, i)) for i, child in enumerate(value))
        elif isinstance(value, str):
            if _SURROGATE.search(value):
                raise lone_surrogate(jsonpointer.dotted(path, PARAM_LIMIT))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) >= LARGEST_INTEGER:
            digits = len(str(abs(value)))
            raise number_out_of_range(jsonpointer.dotted(path, PARAM_LIMIT), f"a number of {digits} digits")
        elif isinstance(value, float) and not math.isfinite(value):
            where = jsonpointer.dotted(path, PARAM_LIMIT)
            raise number_out_of_range(where, "a number too large for a double")


def parse_model(body: dict[str, Any], models: dict[str, ModelSpec]) -> ModelSpec:
    model = required_param(body, "model", "string")
    spec = models.get(model)
    if spec is None:
        raise model_not_found(model)
    return spec


def parse_create(body: dict[str, Any], models: dict[str, ModelSpec]) -> CreateParams:
    reject_unknown(body, KNOWN_PARAMETERS)
    spec = parse_model(body, models)
    params = CreateParams(model=spec.name, spec=spec, input_items=[])
    params.input_items = normalize_input(body.get("input"), "input")
    params.instructions = optional_param(body, "instructions", "string")
    params.previous_response_id = optional_param(body, "previous_response_id", "string")
    if body.get("prompt") is not None:
        raise invalid_value(
            "prompt", "Stored prompt templates are not supported by this server.", "unsupported_parameter"
        )
    if body.get("conversation") is not None:
        raise invalid_value(
            "conversation", "Conversations are not supported by this server.", "unsupported_parameter"
        )
    if not params.input_items and params.previous_response_id is None:
        raise missing_parameter("input")
    _parse_flags(body, params)
    _parse_sampling(body, spec, params)
    _parse_limits(body, spec, params)
    params.metadata = parse_metadata(body.get("metadata"))
    params.include = _parse_include(body.get("include"))
    params.tools = _parse_tools(body.get("tools"))
    params.tool_choice = _parse_tool_choice(body.get("tool_choice"), params.tools)
    params.text = _parse_text(body.get("text"))
    params.reasoning = _parse_reasoning(body.get("reasoning"), spec)
    check_against_schema(body)
    return params


# Parameters the published schema also judges, after the hand-written checks. ``input`` and
# ``tools`` are left out: the schema marks fields required there that the API lets you omit
# (an input_image's ``detail``, a function tool's ``strict``).
SCHEMA_CHECKED = frozenset(
    {
        "reasoning", "text", "stream_options", "tool_choice", "metadata", "truncation", "service_tier",
        "include", "top_logprobs", "prompt_cache_retention", "user", "safety_identifier", "prompt_cache_key",
        "max_tool_calls", "temperature", "top_p", "max_output_tokens", "store", "stream", "background",
        "parallel_tool_calls", "instructions", "previous_response_id",
    }
)  # fmt: skip


@cache
def schema_enum(def_name: str) -> tuple[str, ...]:
    """The string values an enum of OpenAI's create-request schema allows (``$defs`` name), so the
    server's own messages never fall behind the schema (a hand list once lacked ``max``)."""
    validator = load_validator("openai", "create_request")
    node = validator.schema["$defs"][def_name] if validator is not None else {}
    branches = node.get("anyOf", [node])
    return tuple(v for branch in branches for v in branch.get("enum", []) if isinstance(v, str))


def check_against_schema(body: dict[str, Any]) -> None:
    """The backstop: whatever OpenAI's published schema refuses in the parameters it judges well."""
    validator = load_validator("openai", "create_request")
    judged = {k: v for k, v in body.items() if k in SCHEMA_CHECKED or k == "model"}
    if validator is None or validator.is_valid(judged):
        return
    errors = validator.errors(judged, limit=1)
    pointer, message = (errors[0].pointer, errors[0].message) if errors else ("", "invalid request")
    param = jsonpointer.dotted_pointer(pointer)
    enum = re.match(r"^(.*) is not one of \[(.*)\]$", message)
    if enum:
        raise invalid_value(param, f"Invalid value: {enum.group(1)}. Supported values are: {enum.group(2)}.")
    raise invalid_value(
        param or None, f"Invalid '{param}': {message}." if param else f"Invalid request: {message}."
    )


def _parse_flags(body: dict[str, Any], params: CreateParams) -> None:
    for name in ("store", "stream", "background", "parallel_tool_calls"):
        value = optional_param(body, name, "boolean")
        if value is not None:
            setattr(params, name, value)
    if params.background and not params.store:
        raise invalid_value("background", "Background mode requires 'store' to be true.", "invalid_value")
    options = optional_param(body, "stream_options", "object")
    if options:
        if not params.stream:
            raise invalid_value(
                "stream_options",
                "Invalid 'stream_options': only allowed when 'stream' is true.",
                "invalid_value",
            )
        obfuscation = optional_param(options, "include_obfuscation", "boolean", "stream_options")
        params.include_obfuscation = obfuscation is not False
    truncation = optional_param(body, "truncation", "string")
    if truncation is not None:
        params.truncation = _one_of("truncation", truncation, ("auto", "disabled"))
    tier = optional_param(body, "service_tier", "string")
    if tier is not None:
        params.service_tier = _one_of("service_tier", tier, schema_enum("ServiceTierResponses"))
    for name in ("user", "safety_identifier", "prompt_cache_key"):
        setattr(params, name, optional_param(body, name, "string"))
    retention = optional_param(body, "prompt_cache_retention", "string")
    if retention is not None:
        params.prompt_cache_retention = _one_of(
            "prompt_cache_retention", retention, ("in-memory", "in_memory", "24h")
        )


def _parse_sampling(body: dict[str, Any], spec: ModelSpec, params: CreateParams) -> None:
    for name, high in (("temperature", 2.0), ("top_p", 1.0)):
        value = optional_param(body, name, "number")
        if value is None:
            continue
        check_range(name, value, 0.0, high)
        if spec.reasoning and value != 1:
            raise APIError(
                400,
                f"Unsupported parameter: '{name}' is not supported with this model.",
                param=name,
                code="unsupported_parameter",
            )
        setattr(params, name, float(value))
    top_logprobs = optional_param(body, "top_logprobs", "integer")
    if top_logprobs is not None:
        check_range("top_logprobs", top_logprobs, 0, 20, "integer")
        params.top_logprobs = top_logprobs


def _parse_limits(body: dict[str, Any], spec: ModelSpec, params: CreateParams) -> None:
    limit = optional_param(body, "max_output_tokens", "integer")
    if limit is not None:
        check_range("max_output_tokens", limit, MIN_OUTPUT_TOKENS, spec.max_output_tokens, "integer")
        params.max_output_tokens = limit
    calls = optional_param(body, "max_tool_calls", "integer")
    if calls is not None:
        check_range("max_tool_calls", calls, 1, 1_000_000, "integer")
        params.max_tool_calls = calls


def parse_metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_type("metadata", "object", value)
    if len(value) > METADATA_MAX_KEYS:
        raise invalid_value(
            "metadata",
            f"Invalid 'metadata': too many properties. Expected an object with at most {METADATA_MAX_KEYS} "
            f"properties, but got an object with {len(value)} properties instead.",
            "object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise invalid_value(
                "metadata",
                f"Invalid 'metadata': string too long. Expected a key with maximum length "
                f"{METADATA_MAX_KEY_LENGTH}, but got a key with length {len(key)} instead.",
                "string_above_max_length",
            )
        if not isinstance(item, str):
            raise invalid_type(f"metadata.{key}", "string", item)
        if len(item) > METADATA_MAX_VALUE_LENGTH:
            raise invalid_value(
                f"metadata.{key}",
                f"Invalid 'metadata.{key}': string too long. Expected a string with maximum length "
                f"{METADATA_MAX_VALUE_LENGTH}, but got a string with length {len(item)} instead.",
                "string_above_max_length",
            )
    return dict(value)


def _parse_include(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_type("include", "array", value)
    for i, entry in enumerate(value):
        _one_of(f"include[{i}]", entry, INCLUDABLE)
    return list(value)


def _parse_tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_type("tools", "array", value)
    tools = []
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise invalid_type(where, "object", tool)
        if "type" not in tool:
            raise missing_parameter(f"{where}.type")
        if tool["type"] != "function":
            raise invalid_value(
                f"{where}.type",
                f"Invalid value: '{tool['type']}'. This server supports only 'function' tools.",
                "unsupported_value",
            )
        name = required_param(tool, "name", "string", where)
        if not name or len(name) > 64 or not all(c.isalnum() or c in "_-" for c in name):
            raise invalid_value(
                f"{where}.name",
                f"Invalid '{where}.name': string does not match pattern. Expected a string that matches "
                "the pattern '^[a-zA-Z0-9_-]+$'.",
                "invalid_value",
            )
        parameters = optional_param(tool, "parameters", "object", where)
        strict = optional_param(tool, "strict", "boolean", where)
        tools.append(
            {
                "type": "function",
                "description": tool.get("description"),
                "name": name,
                "parameters": parameters,
                "strict": True if strict is None else strict,
            }
        )
    return tools


def _parse_tool_choice(value: Any, tools: list[dict[str, Any]]) -> Any:
    if value is None:
        return "auto"
    names = {t["name"] for t in tools}
    if isinstance(value, str):
        _one_of("tool_choice", value, ("none", "auto", "required"))
        if value == "required" and not tools:
            raise invalid_value(
                "tool_choice",
                "Tool choice 'required' must be specified with 'tools' parameter.",
                "invalid_value",
            )
        return value
    if not isinstance(value, dict):
        raise invalid_type("tool_choice", "object", value)
    kind = value.get("type")
    if kind == "function":
        if value.get("name") not in names:
            raise invalid_value(
                "tool_choice",
                f"Tool choice '{value.get('name')}' not found in 'tools' parameter.",
                "invalid_value",
            )
        return {"type": "function", "name": value["name"]}
    if kind == "allowed_tools":
        mode = _one_of("tool_choice.mode", value.get("mode"), ("auto", "required"))
        allowed = value.get("tools")
        if not isinstance(allowed, list):
            raise invalid_type("tool_choice.tools", "array", allowed)
        for i, entry in enumerate(allowed):
            if not isinstance(entry, dict) or entry.get("name") not in names:
                raise invalid_value(
                    f"tool_choice.tools[{i}]", "Allowed tool not found in 'tools' parameter.", "invalid_value"
                )
        return {"type": "allowed_tools", "mode": mode, "tools": allowed}
    raise invalid_value("tool_choice.type", f"Invalid value: '{kind}'.", "invalid_value")


def _parse_text(value: Any) -> dict[str, Any]:
    text: dict[str, Any] = {"format": {"type": "text"}, "verbosity": "medium"}
    if value is None:
        return text
    if not isinstance(value, dict):
        raise invalid_type("text", "object", value)
    if value.get("verbosity") is not None:
        text["verbosity"] = _one_of("text.verbosity", value["verbosity"], ("low", "medium", "high"))
    fmt = value.get("format")
    if fmt is None:
        return text
    if not isinstance(fmt, dict):
        raise invalid_type("text.format", "object", fmt)
    kind = _one_of("text.format.type", fmt.get("type"), ("text", "json_object", "json_schema"))
    if kind != "json_schema":
        text["format"] = {"type": kind}
        return text
    name = required_param(fmt, "name", "string", "text.format")
    schema = required_param(fmt, "schema", "object", "text.format")
    strict = optional_param(fmt, "strict", "boolean", "text.format")
    if strict:
        _check_strict_schema(schema, "text.format.schema", name)
    text["format"] = {
        "type": "json_schema",
        "description": fmt.get("description"),
        "name": name,
        "schema": schema,
        "strict": bool(strict),
    }
    return text


def _check_strict_schema(schema: dict[str, Any], param: str, name: str, context: str = "()") -> None:
    """Structured Outputs' rule: every object closes its properties and requires them all."""
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            raise invalid_value(
                param,
                f"Invalid schema for response_format '{name}': In context={context}, 'additionalProperties' "
                "is required to be supplied and to be false.",
                "invalid_json_schema",
            )
        props = schema.get("properties") or {}
        missing = [p for p in props if p not in (schema.get("required") or [])]
        if missing:
            raise invalid_value(
                param,
                f"Invalid schema for response_format '{name}': In context={context}, 'required' is required "
                f"to be supplied and to be an array including every key in properties. "
                f"Missing '{missing[0]}'.",
                "invalid_json_schema",
            )
        for key, sub in props.items():
            if isinstance(sub, dict):
                _check_strict_schema(sub, param, name, f"('properties', '{key}')")
    items = schema.get("items")
    if isinstance(items, dict):
        _check_strict_schema(
            items, param, name, f"{context[:-1]}, 'items')" if context != "()" else "('items',)"
        )


def _parse_reasoning(value: Any, spec: ModelSpec) -> dict[str, Any]:
    if value is None:
        return {"effort": "medium" if spec.reasoning else None, "summary": None}
    if not isinstance(value, dict):
        raise invalid_type("reasoning", "object", value)
    effort = value.get("effort")
    summary = value.get("summary", value.get("generate_summary"))
    if not spec.reasoning and (effort is not None or summary is not None):
        param = "reasoning.effort" if effort is not None else "reasoning.summary"
        raise APIError(
            400,
            f"Unsupported parameter: '{param}' is not supported with this model.",
            param=param,
            code="unsupported_parameter",
        )
    if effort is not None:
        _one_of("reasoning.effort", effort, schema_enum("ReasoningEffort"))
    if summary is not None:
        _one_of("reasoning.summary", summary, SUMMARIES)
    return {"effort": effort or ("medium" if spec.reasoning else None), "summary": summary}


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
    _one_of(f"{where}.role", role, ("user", "assistant", "system", "developer"))
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
    _one_of(f"{where}.type", kind, allowed)
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
        _one_of(f"{where}.detail", detail, ("low", "high", "auto"))
        return {"type": "input_image", "detail": detail, "file_id": file_id, "image_url": url}
    # input_file
    if not any(part.get(k) for k in ("file_id", "file_data", "file_url")):
        raise missing_parameter(f"{where}.file_data")
    kept = {k: part[k] for k in ("file_id", "file_data", "file_url", "filename") if part.get(k) is not None}
    return {"type": "input_file", **kept}
