"""Validate a create request the way OpenAI does: the first bad parameter gets a 400 naming it.

``parse_create`` turns the JSON body into ``CreateParams`` (or raises ``APIError``). The body's
bytes and the typed readers are ``request_json``; ``input`` is ``input_items.normalize_input``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from respcheck import jsonpointer
from respcheck.schemas.registry import load_validator
from respcheck.server.errors import (
    APIError,
    invalid_type,
    invalid_value,
    missing_parameter,
    model_not_found,
)
from respcheck.server.input_items import normalize_input
from respcheck.server.model import ModelSpec
from respcheck.server.request_json import (
    check_range,
    one_of,
    optional_param,
    reject_unknown,
    required_param,
)

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
    if not errors:
        raise invalid_value(None, "Invalid request: invalid request.")
    problem = errors[0]
    param = jsonpointer.dotted_pointer(problem.pointer)
    if problem.kind == "Enum":  # OpenAI's words for it
        supported = ", ".join(repr(v) for v in problem.allowed)
        raise invalid_value(param, f"Invalid value: {_value_at(judged, problem.path)!r}. "
                                   f"Supported values are: {supported}.")
    message = problem.text
    raise invalid_value(
        param or None, f"Invalid '{param}': {message}." if param else f"Invalid request: {message}."
    )


def _value_at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


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
        params.truncation = one_of("truncation", truncation, ("auto", "disabled"))
    tier = optional_param(body, "service_tier", "string")
    if tier is not None:
        params.service_tier = one_of("service_tier", tier, schema_enum("ServiceTierResponses"))
    for name in ("user", "safety_identifier", "prompt_cache_key"):
        setattr(params, name, optional_param(body, name, "string"))
    retention = optional_param(body, "prompt_cache_retention", "string")
    if retention is not None:
        params.prompt_cache_retention = one_of(
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
        one_of(f"include[{i}]", entry, INCLUDABLE)
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
        one_of("tool_choice", value, ("none", "auto", "required"))
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
        mode = one_of("tool_choice.mode", value.get("mode"), ("auto", "required"))
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
        text["verbosity"] = one_of("text.verbosity", value["verbosity"], ("low", "medium", "high"))
    fmt = value.get("format")
    if fmt is None:
        return text
    if not isinstance(fmt, dict):
        raise invalid_type("text.format", "object", fmt)
    kind = one_of("text.format.type", fmt.get("type"), ("text", "json_object", "json_schema"))
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
        one_of("reasoning.effort", effort, schema_enum("ReasoningEffort"))
    if summary is not None:
        one_of("reasoning.summary", summary, SUMMARIES)
    return {"effort": effort or ("medium" if spec.reasoning else None), "summary": summary}


