"""Checks: a finished answer did what the create request asked for (tool_choice, strict tool
arguments, a structured-output format).

These read the request beside the answer, so replay finds them in any recording that kept the
request body. They judge only a Response that finished with ``completed``: an ``incomplete`` one
may stop before the call or mid-JSON, which is ``usage``'s and the status checks' business.

Decisions recorded here:
- Tool arguments are held to the declared ``parameters`` only for a ``strict: true`` function
  (OpenAI guarantees schema-valid arguments only then). A call to a function the request's
  ``tools`` do not list is not judged: real traffic calls functions that tool search or deferred
  tools loaded during the conversation.
- A structured-output answer that is a refusal (a ``refusal`` content part, no output_text) is
  not judged: refusing is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
import jsonschema_rs

from respcheck.checks.common import at, final_response, is_success, per_exchange
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.checks.response import output_items_by_type
from respcheck.exchange import Exchange
from respcheck.jsontypes import shown


@dataclass(frozen=True, slots=True)
class Finished:
    """A create that finished completed, as the three checks read it (found once per exchange)."""

    body: dict[str, Any]  # the request body
    response: dict[str, Any]  # the completed Response
    ptr: str  # its pointer
    functions: dict[str, dict[str, Any]]  # the function tools the request declared, by name
    calls: list[tuple[dict[str, Any], str]]  # the Response's function calls (when functions were declared)


@per_exchange
def _finished(ex: Exchange) -> Finished | None:
    body = ex.request.body
    if not isinstance(body, dict) or not is_success(ex):
        return None
    found = final_response(ex)
    if found is None or found[0].get("status") != "completed":
        return None
    response, ptr = found
    functions = _functions(body)
    return Finished(body, response, ptr, functions, _calls(ex, ptr) if functions else [])


def _functions(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The function tools the request declared, by name."""
    tools = body.get("tools")
    return {t["name"]: t for t in tools if isinstance(t, dict) and t.get("type") == "function"
            and isinstance(t.get("name"), str)} if isinstance(tools, list) else {}


def _only_functions(finished: Finished) -> bool:
    """The request declares function tools and nothing else (a hosted tool may meet 'required')."""
    tools = finished.body.get("tools")
    return bool(tools) and isinstance(tools, list) and len(finished.functions) == len(tools)


def _calls(ex: Exchange, ptr: str) -> list[tuple[dict[str, Any], str]]:
    """The function calls of the exchange's Response at ``ptr``, with their pointers."""
    below = f"{ptr}/output/"
    calls = output_items_by_type(ex).get("function_call", ())
    return [(item, p) for _, item, p in calls if p.startswith(below)]


def _choice(body: dict[str, Any]) -> tuple[str, set[str] | None]:
    """(mode, the functions the choice allows: None for any) of the request's tool_choice."""
    choice = body.get("tool_choice")
    if choice in ("required", "none", "auto"):
        return str(choice), None
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return "required", {choice["name"]}
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        named = {t.get("name") for t in choice.get("tools") or [] if isinstance(t, dict)}
        return str(choice.get("mode") or "auto"), {n for n in named if isinstance(n, str)}
    return "auto", None


@check(
    "request.tool_choice",
    clause="OpenAI API, CreateResponse.tool_choice: required (or a named function) makes the model call a "
    "tool (that one); none calls no tool; allowed_tools limits the calls to its list; parallel_tool_calls "
    "false allows one call, max_tool_calls bounds them; each call has its own call_id",
    summary="a completed Response's function calls obey the request's tool_choice, parallel_tool_calls and "
    "max_tool_calls, each with its own call_id",
    endpoints=("create",),
)
def tool_choice_obeyed(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    finished = _finished(ex)
    if finished is None or not _only_functions(finished):
        return
    body, ptr, calls = finished.body, finished.ptr, finished.calls
    mode, allowed = _choice(body)
    names = [str(c.get("name")) for c, _ in calls]
    if mode == "required" and not calls:
        yield Violation(f"the request set {_asked(body)} but the completed Response calls no function: the "
                        "relay dropped tool_choice, or the model was never told", at(ptr, "output"))
    elif mode == "none" and calls:
        yield Violation(f"the request set {_asked(body)} but the Response calls {', '.join(names)}",
                        calls[0][1])
    for (_, call_ptr), name in zip(calls, names, strict=True):
        if allowed is not None and name not in allowed:
            yield Violation(f"the request set {_asked(body)} but the Response calls {name!r}, which it does "
                            "not allow", at(call_ptr, "name"))
    if calls:
        yield from _call_count(body, calls)


def _asked(body: dict[str, Any]) -> str:
    return f"tool_choice {shown(body.get('tool_choice'))}"


def _call_count(body: dict[str, Any], calls: list[tuple[dict[str, Any], str]]) -> Iterator[Violation]:
    """parallel_tool_calls false: one call at most; max_tool_calls n: n at most; call_ids distinct."""
    limit = body.get("max_tool_calls")
    bounds = [(1, "parallel_tool_calls false")] if body.get("parallel_tool_calls") is False else []
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        bounds.append((limit, f"max_tool_calls {limit}"))
    for bound, why in bounds:
        if len(calls) > bound:
            yield Violation(f"the request set {why} but the Response makes {len(calls)} function calls",
                            calls[bound][1])
    ids = [str(c["call_id"]) for c, _ in calls if isinstance(c.get("call_id"), str)]
    if len(set(ids)) < len(ids):
        yield Violation(f"function calls share a call_id ({', '.join(sorted(ids))}): the client cannot send "
                        "each result back to its call", calls[-1][1])


@check(
    "request.tool_arguments",
    clause="OpenAI API, function tools: with strict: true the arguments are valid against the function's "
    "parameters schema",
    summary="the arguments of a call to a strict function validate against its parameters",
    endpoints=("create",),
)
def tool_arguments_valid(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    finished = _finished(ex)
    if finished is None or not finished.functions:
        return
    declared = finished.functions
    for call, call_ptr in finished.calls:
        name = call.get("name")
        tool = declared.get(name) if isinstance(name, str) else None
        if tool is None:
            continue  # a function loaded on the way (tool_search, deferred tools) is declared elsewhere
        if tool.get("strict") is not True or not isinstance(tool.get("parameters"), dict):
            continue
        try:
            arguments = json.loads(call.get("arguments") or "")
        except (TypeError, ValueError):
            continue  # not JSON: response.output.function_call says so
        problem = _invalid(arguments, tool["parameters"])
        if problem:
            yield Violation(f"the arguments of the call to strict function {name!r} do not validate against "
                            f"its parameters: {problem}", at(call_ptr, "arguments"))


@check(
    "request.text_format",
    clause="OpenAI API, CreateResponse.text.format: json_schema (strict) makes the output text JSON valid "
    "against the schema; json_object makes it a JSON object; the Response echoes the format",
    summary="a completed Response's text follows the structured-output format the request asked for",
    endpoints=("create",),
)
def text_format_followed(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    finished = _finished(ex)
    if finished is None:
        return
    body, response, ptr = finished.body, finished.response, finished.ptr
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") not in ("json_schema", "json_object"):
        return
    echoed = response.get("text")
    echoed_format = echoed.get("format") if isinstance(echoed, dict) else None
    echoed_type = echoed_format.get("type") if isinstance(echoed_format, dict) else None
    if echoed_type is not None and echoed_type != fmt["type"]:
        yield Violation(f"the request asked for text.format {fmt['type']!r} but the Response says "
                        f"{shown(echoed_type)}", at(ptr, "text", "format", "type"))
    written = _output_text(response)
    if written is None:
        return  # a refusal, or no message: nothing to parse
    try:
        value = json.loads(written)
    except ValueError:
        yield Violation(f"the request asked for text.format {fmt['type']!r} but the output text is not JSON: "
                        f"{shown(written[:80])}", at(ptr, "output"))
        return
    if fmt["type"] == "json_object" and not isinstance(value, dict):
        yield Violation(f"the request asked for a json_object but the output text is {shown(value)}",
                        at(ptr, "output"))
    elif fmt["type"] == "json_schema" and fmt.get("strict") is True and isinstance(fmt.get("schema"), dict):
        problem = _invalid(value, fmt["schema"])
        if problem:
            yield Violation(f"the output text does not validate against the strict json_schema "
                            f"{shown(fmt.get('name'))}: {problem}", at(ptr, "output"))


def _output_text(response: dict[str, Any]) -> str | None:
    """The output_text of the Response's messages joined; None when there is none (a refusal)."""
    parts = [p.get("text") for item in response.get("output") or [] if isinstance(item, dict)
             and item.get("type") == "message" for p in item.get("content") or []
             if isinstance(p, dict) and p.get("type") == "output_text" and isinstance(p.get("text"), str)]
    return "".join(parts) if parts else None  # type: ignore[arg-type]


def _invalid(value: Any, schema: dict[str, Any]) -> str | None:
    """The first reason ``value`` fails ``schema`` (None: valid, or a schema jsonschema cannot use).

    jsonschema-rs answers the common case (valid) fast; an answer it does not give as valid is
    jsonschema's, as it always was: jsonschema-rs is the stricter of the two where they differ
    (``$`` before a final newline), so nothing it passes would fail there.
    """
    try:
        fast, slow = _validators(json.dumps(schema, sort_keys=True))
        if fast is not None and _passes(fast, value):
            return None
        if slow.is_valid(value):  # is_valid stops where iter_errors would start
            return None
        error = jsonschema.exceptions.best_match(slow.iter_errors(value))
    except (jsonschema.exceptions.SchemaError, TypeError, ValueError):
        return None
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{error.message}" + (f" (at {where})" if where else "")


def _passes(fast: Callable[[Any], bool], value: Any) -> bool:
    try:
        return fast(value)
    except (TypeError, ValueError, OverflowError):  # a value jsonschema-rs cannot take: jsonschema decides
        return False


@lru_cache(maxsize=256)
def _validators(schema_text: str) -> tuple[Callable[[Any], bool] | None, jsonschema.protocols.Validator]:
    """A request's schema compiled once (a conversation's requests repeat the same tools and formats):
    jsonschema-rs's is_valid (None: it refuses the schema) and jsonschema's validator."""
    schema = json.loads(schema_text)
    try:
        fast: Callable[[Any], bool] | None = jsonschema_rs.Draft202012Validator(
            schema, validate_formats=False
        ).is_valid
    except (TypeError, ValueError):
        fast = None
    return fast, jsonschema.Draft202012Validator(schema)
