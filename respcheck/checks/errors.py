"""Checks: error bodies and statuses, and the small success bodies of the other endpoints.

Every OpenAI SDK turns a non-2xx answer into an exception built from
``{"error": {"message", "type", "param", "code"}}``: with any other body the user gets an
``APIError`` with no message and no code, and retry logic keyed on the status misfires
(the SDKs retry 408/409/429/5xx, so a 500 for a bad request is retried in vain).

Status judgements stay conservative: they fire only when the body itself says the client
was at fault (``type: invalid_request_error`` with a 5xx) or that the id in the path is
unknown (a not-found code, or a not-found message with a 5xx) and the status is not 404.

The second half checks success bodies: JSON with a JSON content type, and the non-Response
bodies of delete (``response.deleted``), the input-items list, the input-token count and the
compact result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from respcheck.checks.common import at, body_ptr, is_success, path_response_id
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange, json_problem
from respcheck.jsontypes import clipped, shown

SDK_EXPECTATION = (
    'OpenAI SDKs expect {"error": {"message", "type", "param", "code"}} and otherwise raise an '
    "error with no message or code"
)
# Error codes / types that mean "no such id": the answer to those is 404. A tuple, not a set:
# a garbled code ({} or []) is compared, never hashed.
NOT_FOUND_CODES = ("not_found", "response_not_found", "resource_not_found", "not_found_error")
# How a server's message says so, e.g. "Response with id 'resp_x' not found." Only trusted
# together with a 5xx: a 4xx may be about another id (an ``after`` cursor, say).
NOT_FOUND_TEXT = re.compile(r"not found|no such|does not exist", re.IGNORECASE)
ID_ENDPOINTS = ("retrieve", "delete", "cancel", "input_items")


def snippet(value: Any) -> str:
    """A body or value shortened for a message (text as is, JSON serialised)."""
    return clipped(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), 80)


def is_error_status(ex: Exchange) -> bool:
    return ex.status is not None and ex.status >= 400


def served_as_json(ex: Exchange) -> bool:
    """Whether the content type is JSON's (``application/json`` or a ``+json`` type)."""
    media = ex.media_type
    return media == "application/json" or media.endswith("+json")


def error_object(ex: Exchange) -> dict[str, Any] | None:
    """The ``error`` object of an OpenAI-shaped error body, or None."""
    body = ex.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return None


# --- error bodies ----------------------------------------------------------------------


@check(
    "error.content_type",
    clause="openai: ErrorResponse — application/json",
    summary="A non-2xx answer is served as application/json.",
    applies="body",
    statuses="error",
)
def error_content_type(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    # Judged only when the body is JSON: a body that is not (an HTML page) is error.envelope's
    # finding. An unknown content type (a recording that kept no headers) is not judged.
    if is_error_status(ex) and ex.body is not None and ex.content_type and not served_as_json(ex):
        yield Violation(
            f"HTTP {ex.status} is served as {ex.content_type!r}; an error body is application/json "
            "(clients decide by the content type whether to parse the error)",
            at="/response/content_type",
        )


@check(
    "error.envelope",
    clause='openai: ErrorResponse — {"error": Error}',
    summary='A non-2xx body is a JSON object {"error": {...}}.',
    applies="body",
    statuses="error",
)
def error_envelope(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not is_error_status(ex) or error_object(ex) is not None:
        return
    yield Violation(f"HTTP {ex.status} body is {envelope_problem(ex)}; {SDK_EXPECTATION}", at=body_ptr())


def envelope_problem(ex: Exchange) -> str:
    """What the error body is instead of an OpenAI error envelope, in words."""
    body = ex.body
    if body is None:
        text = (ex.body_text or "").strip()
        if not text:
            return "empty"
        if text.startswith("<"):
            return f"HTML, not JSON (a proxy or server error page?): {snippet(text)}"
        if text.startswith(("{", "[")) and (problem := json_problem(text)):
            return f"not JSON a client can read ({problem}): {snippet(text)}"
        return f"a bare string, not JSON: {snippet(text)}"
    if isinstance(body, dict):
        if body.get("object") == "error":
            return 'vLLM-style {"object": "error", "message": ...} without the error wrapper: ' + snippet(
                body
            )
        if "detail" in body:
            return f'{{"detail": ...}} (a framework default error, e.g. FastAPI): {snippet(body)}'
        if "error" in body:
            return f'{{"error": <{type(body["error"]).__name__}>}} where error must be an object: ' + snippet(
                body
            )
        return f"an object without an error key: {snippet(body)}"
    return f"a JSON {type(body).__name__}, not an object: {snippet(body)}"


@check(
    "error.fields",
    clause="openai: Error — required type (string), param (string|null), code (string|null)",
    summary="The error object has type (string) and param and code (string or null).",
    applies="body",
    statuses="error",
)
def error_fields(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    error = error_object(ex) if is_error_status(ex) else None
    if error is None:
        return
    ptr = body_ptr("error")
    kind = error.get("type")
    if not isinstance(kind, str) or not kind:
        yield Violation(
            f"error.type is {snippet(kind) if 'type' in error else 'missing'}; it must be a string "
            "such as invalid_request_error (SDKs and retry logic branch on it)",
            at=at(ptr, "type"),
        )
    for field in ("param", "code"):
        if field not in error:
            yield Violation(
                f"error.{field} is missing; the error object always has {field} (null when it does "
                "not apply)",
                at=at(ptr, field),
            )
        elif error[field] is not None and not isinstance(error[field], str):
            yield Violation(
                f"error.{field} is {snippet(error[field])}; it must be a string or null",
                at=at(ptr, field),
            )


@check(
    "error.message",
    clause="openai: Error.message — required, human-readable",
    summary="error.message is a non-empty string.",
    applies="body",
    statuses="error",
)
def error_message(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    error = error_object(ex) if is_error_status(ex) else None
    if error is None:
        return
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        yield Violation(
            f"error.message is {snippet(message) if 'message' in error else 'missing'}; it must say "
            "what went wrong (SDKs put it in the exception text)",
            at=body_ptr("error", "message"),
        )


@check(
    "error.status",
    clause="openai: error codes — 404 for an unknown id; 4xx for client errors, 5xx only for server faults",
    summary="The status agrees with the error body: an unknown id on retrieve/delete/cancel/input_items "
    "is a 404; invalid_request_error is not a 5xx.",
    applies="body",
    statuses="error",
)
def error_status(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    error = error_object(ex) if is_error_status(ex) else None
    if error is None:
        return
    server_fault = (ex.status or 0) >= 500
    if ex.endpoint in ID_ENDPOINTS and ex.status != 404 and says_not_found(error, loosely=server_fault):
        yield Violation(
            f"HTTP {ex.status} for an unknown id ({snippet(error)}); {ex.endpoint} answers an unknown "
            "id with 404 (SDKs raise NotFoundError only for a 404"
            + ("; a 5xx is even retried, in vain)" if server_fault else ")"),
            at="/response/status",
        )
    elif server_fault and error.get("type") == "invalid_request_error":
        yield Violation(
            f"HTTP {ex.status} with error.type invalid_request_error: the body blames the request but "
            "the status blames the server; a client error is a 4xx (SDKs retry 5xx, so this bad "
            "request is retried in vain)",
            at="/response/status",
        )


def says_not_found(error: dict[str, Any], loosely: bool) -> bool:
    """Whether the error says the id is unknown: by its code or type, or (loosely) its message."""
    if error.get("code") in NOT_FOUND_CODES or error.get("type") in NOT_FOUND_CODES:
        return True
    message = error.get("message")
    return loosely and isinstance(message, str) and NOT_FOUND_TEXT.search(message) is not None


@check(
    "error.in_success",
    clause="openai: errors are non-2xx responses with an ErrorResponse body",
    summary='A 2xx JSON body is not an error ({"error": {...}} or {"object": "error"}): errors carry a '
    "4xx/5xx.",
    applies="body",
    statuses="success",
)
def error_in_success(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    body = ex.body
    # A Response object has an ``error`` field of its own (null unless failed): not this.
    if not is_success(ex) or not isinstance(body, dict):
        return
    if body.get("object") == "error" or ("object" not in body and isinstance(body.get("error"), dict | str)):
        yield Violation(
            f"HTTP {ex.status} carries an error body ({snippet(body)}); an error must come with a 4xx "
            "or 5xx status, or SDKs parse it as a success and fail on missing fields",
            at=body_ptr("error"),
        )


# --- success bodies ----------------------------------------------------------------------

# Endpoints whose 2xx answer (when not streamed) is a JSON body.
JSON_ENDPOINTS = ("create", "retrieve", "cancel", "delete", "input_items", "input_tokens", "compact")


@check(
    "body.json",
    clause="openai: every Responses endpoint answers application/json (or text/event-stream when streamed)",
    summary="A 2xx answer that is not a stream has a JSON body.",
    applies="body",
    endpoints=JSON_ENDPOINTS,
    statuses="success",
)
def success_body_is_json(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if is_success(ex) and ex.body is None:
        text = (ex.body_text or "").strip()
        problem = json_problem(text) if text.startswith(("{", "[")) else None
        reason = f" ({problem})" if problem else ""
        shown = f"not JSON{reason}: {snippet(text)}" if text else "empty"
        yield Violation(
            f"HTTP {ex.status} body of {ex.endpoint} is {shown}; SDKs decode it as JSON and fail",
            at=body_ptr(),
        )


@check(
    "body.content_type",
    severity="warning",
    clause="openai: every Responses endpoint answers application/json (or text/event-stream when streamed)",
    summary="A 2xx JSON body is served as application/json.",
    applies="body",
    endpoints=JSON_ENDPOINTS,
    statuses="success",
)
def success_content_type(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    # A warning: the body did parse, and most SDKs try JSON anyway; strict clients and
    # proxies (caching, compression, logging) go by the content type.
    if is_success(ex) and ex.body is not None and ex.content_type and not served_as_json(ex):
        yield Violation(
            f"HTTP {ex.status} JSON body is served as {ex.content_type!r}; it should be application/json",
            at="/response/content_type",
        )


# --- the other endpoints' success bodies -----------------------------------------------


def success_body(ex: Exchange) -> dict[str, Any] | None:
    return ex.body if is_success(ex) and isinstance(ex.body, dict) else None


@check(
    "delete.result",
    clause='openai: DELETE /responses/{id} — {"id", "object": "response.deleted", "deleted": true}',
    summary='A delete answers {"id": <the id>, "object": "response.deleted", "deleted": true}.',
    applies="body",
    endpoints=("delete",),
    statuses="success",
)
def delete_result(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    body = success_body(ex)
    if body is None:
        return
    if body.get("object") != "response.deleted":
        yield Violation(
            f'delete answered "object": {shown(body.get("object"))}; it is "response.deleted"',
            at=body_ptr("object"),
        )
    if body.get("deleted") is not True:
        yield Violation(
            f'delete answered "deleted": {shown(body.get("deleted"))}; a successful delete says true',
            at=body_ptr("deleted"),
        )
    if "id" not in body:  # another id than the one deleted: response.id.round_trip
        yield Violation(
            f"delete answered no id for DELETE of {path_response_id(ex.request.path)!r}; it names the "
            "deleted response",
            at=body_ptr("id"),
        )


@check(
    "input_items.list",
    clause="openai: ResponseItemList — object list, data[], first_id, last_id, has_more",
    summary="input_items is a list: data array, first_id/last_id = ids of the first/last item, "
    "has_more boolean.",
    applies="body",
    endpoints=("input_items",),
    statuses="success",
)
def input_items_list(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    body = success_body(ex)
    if body is None:
        return
    if body.get("object") != "list":
        yield Violation(
            f'input_items answered "object": {snippet(body.get("object"))}; it is "list"',
            at=body_ptr("object"),
        )
    if not isinstance(body.get("has_more"), bool):
        yield Violation(
            f"has_more is {snippet(body.get('has_more'))}; it must be a boolean (clients page on it)",
            at=body_ptr("has_more"),
        )
    data = body.get("data")
    if not isinstance(data, list):
        yield Violation(f"data is {snippet(data)}; it must be an array of items", at=body_ptr("data"))
        return
    if not data:
        return
    for key, item in (("first_id", data[0]), ("last_id", data[-1])):
        expected = item.get("id") if isinstance(item, dict) else None
        if body.get(key) != expected:
            yield Violation(
                f"{key} is {snippet(body.get(key))} but the {key.split('_')[0]} item's id is "
                f"{snippet(expected)}; clients pass {key} as the `after` cursor",
                at=body_ptr(key),
            )


@check(
    "input_tokens.result",
    clause='openai: POST /responses/input_tokens — {"object": "response.input_tokens", "input_tokens"}',
    summary='input_tokens answers {"object": "response.input_tokens", "input_tokens": <integer ≥ 0>}.',
    applies="body",
    endpoints=("input_tokens",),
    statuses="success",
)
def input_tokens_result(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    body = success_body(ex)
    if body is None:
        return
    if body.get("object") != "response.input_tokens":
        yield Violation(
            f'input_tokens answered "object": {snippet(body.get("object"))}; it is "response.input_tokens"',
            at=body_ptr("object"),
        )
    count = body.get("input_tokens")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        yield Violation(
            f"input_tokens is {snippet(count)}; it must be an integer ≥ 0", at=body_ptr("input_tokens")
        )


@check(
    "compact.result",
    clause='openai: POST /responses/compact — {"id", "object": "response.compaction", "output": [...]}',
    summary='compact answers {"object": "response.compaction"} with an id and an output array.',
    applies="body",
    endpoints=("compact",),
    statuses="success",
)
def compact_result(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    body = success_body(ex)
    if body is None:
        return
    if body.get("object") != "response.compaction":
        yield Violation(
            f'compact answered "object": {snippet(body.get("object"))}; it is "response.compaction"',
            at=body_ptr("object"),
        )
    if not isinstance(body.get("id"), str) or not body.get("id"):
        yield Violation(
            f"compact result id is {snippet(body.get('id'))}; it must be a string", at=body_ptr("id")
        )
    if not isinstance(body.get("output"), list):
        yield Violation(
            f"compact result output is {snippet(body.get('output'))}; it must be an array of items "
            "(the compacted input for the next request)",
            at=body_ptr("output"),
        )
