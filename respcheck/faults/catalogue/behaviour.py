"""Faults in what a request does: fields dropped or echoed, lifecycle calls (delete, cancel,
retrieve) that lie, error bodies and statuses, behaviour across the calls of one scenario."""

from __future__ import annotations

from typing import Any

from respcheck.faults.edits import (
    drop,
    error_of,
    items,
    on_json,
    on_request,
    on_responses,
    on_stream,
    pop_fields,
    response_id,
    set_field,
    terminal_response,
)
from respcheck.faults.model import Reply, Req, State
from respcheck.faults.registry import (
    BACKGROUND_DONE,
    CANCEL,
    CREATE_JSON,
    DELETE,
    INPUT_ITEMS,
    INSTRUCTIONS_JSON,
    NO_KEY,
    REASONING_SUMMARY,
    RECALL_JSON,
    RETRIEVE_EQUALS,
    STORE_FALSE,
    STREAM_FUNCTION,
    STREAM_TEXT,
    STRUCTURED,
    TINY_MAX_JSON,
    TOOL_REQUIRED,
    UNKNOWN_ID,
    contract,
)

# ====================================================================================================
# Behaviour: the relay changes what the request does (caught by the checks that read the request or
# the scenario's sequence; recall only by the scenario's expectation, conversation.recall)
# ====================================================================================================

contract(
    "previous_response_id_ignored",
    "stateless relay that drops previous_response_id",
    "conversation.recall",
    (RECALL_JSON,),
    request=on_request(pop_fields("previous_response_id")),
    fast=True,
)


def _echo_request_field(field: str):
    """The response claims the request's value (a relay that echoes the request, not upstream)."""

    def hook(reply: Reply, state: State) -> None:
        if isinstance(reply.request.body, dict) and field in state.get("sent", {}):
            on_responses(set_field(field, state["sent"][field]))(reply, state)

    return hook


def _drop_but_remember(*fields: str):
    def hook(req: Req, state: State) -> None:
        if req.endpoint == "create" and isinstance(req.body, dict):
            state["sent"] = {f: req.body.pop(f) for f in fields if f in req.body}

    return hook


contract(
    "previous_response_id_echo_only",
    "stateless relay: drops previous_response_id upstream, echoes it back in the response",
    "conversation.recall",
    (RECALL_JSON,),
    request=_drop_but_remember("previous_response_id"),
    reply=_echo_request_field("previous_response_id"),
)
contract(
    "instructions_dropped",
    "relay that forwards only model and input",
    "response.echo",  # a warning: real relays that do not echo instructions are common
    (INSTRUCTIONS_JSON,),
    request=on_request(pop_fields("instructions")),
)
contract(
    "text_format_ignored",
    "relay that drops text.format (structured output) and echoes the request",
    "request.text_format",
    (STRUCTURED,),
    request=_drop_but_remember("text"),
    reply=_echo_request_field("text"),
    fast=True,
)
contract(
    "store_false_still_retrievable",
    "relay that stores everything in its own cache, store: false too",
    "lifecycle.store_false",
    (STORE_FALSE,),
    request=_drop_but_remember("store"),
    reply=_echo_request_field("store"),
)


def _delete_noop(req: Req, state: State) -> Reply | None:
    if req.endpoint != "delete":
        return None
    body = {"id": response_id(req), "object": "response.deleted", "deleted": True}
    return Reply(200, {"content-type": "application/json"}, req, body=body)


contract(
    "delete_noop",
    "relay that answers deleted: true without forwarding the delete",
    "lifecycle.deleted",
    (DELETE,),
    request=_delete_noop,
    fast=True,
)


def _cache_responses(reply: Reply, state: State) -> None:
    cache = state.setdefault("cache", {})
    req = reply.request
    if req.endpoint == "create" and reply.is_success and isinstance(reply.body, dict):
        cache[reply.body.get("id")] = reply.body
    elif req.endpoint == "retrieve" and reply.status == 404:
        cached = cache.get(response_id(req))
        if cached is not None:
            reply.status, reply.body = 200, cached


contract(
    "retrieve_after_delete_cached",
    "relay with a response cache that deletes never invalidate",
    "lifecycle.deleted",
    (DELETE,),
    reply=_cache_responses,
)


def _status_as(old: int | None, new: int):
    """Upstream's body passed through under another status (``old`` None: any status)."""

    def edit(reply: Reply) -> None:
        if old is None or reply.status == old:
            reply.status = new

    return edit


contract(
    "unknown_id_500",
    "relay that maps every upstream 4xx it does not know to 500",
    "error.status",
    (UNKNOWN_ID,),
    reply=on_json(_status_as(404, 500)),
    fast=True,
)
contract(
    "retrieve_after_delete_500",
    "relay whose lookup of a deleted id crashes",
    "lifecycle.deleted",
    (DELETE,),
    reply=on_json(_status_as(404, 500), endpoints=("retrieve",)),
)


def _cancel_noop_request(req: Req, state: State) -> Reply | None:
    if req.endpoint != "cancel":
        return None
    # Forward a retrieve instead: the relay acknowledges the cancel and changes nothing.
    req.method, req.path = "GET", req.path.rsplit("/cancel", 1)[0]
    req.endpoint = "retrieve"
    return None


contract(
    "cancel_noop",
    "relay without a cancel route that answers with the current response",
    "lifecycle.cancel",
    (CANCEL,),
    request=_cancel_noop_request,
)
contract(
    "background_ignored",
    "relay that strips background and runs the request in the foreground",
    "request.background",
    (CANCEL,),
    request=on_request(pop_fields("background")),
)
contract(
    "tool_choice_required_ignored",
    "relay that drops tool_choice (the model then answers in text)",
    "request.tool_choice",
    (TOOL_REQUIRED,),
    request=on_request(set_field("tool_choice", "none")),
    reply=on_responses(lambda r: r.update(tool_choice="required")),
)


def _drop_call_ids(response: dict[str, Any]) -> None:
    for call in items(response, "function_call"):
        call.pop("call_id", None)


contract(
    "function_call_without_call_id",
    "relay translating from Chat that loses tool_call ids",
    "response.output.function_call",
    (TOOL_REQUIRED,),
    reply=on_responses(_drop_call_ids),
    fast=True,
)
contract(
    "reasoning_summary_dropped",
    "relay that forwards reasoning.effort but not reasoning.summary",
    "reasoning.answered",
    (REASONING_SUMMARY,),
    request=_drop_but_remember("reasoning"),
    reply=_echo_request_field("reasoning"),
)


def _detail_error(reply: Reply) -> None:
    error = error_of(reply)
    if error is not None:
        reply.body = {"detail": error.get("message")}


def _bare_string_error(reply: Reply) -> None:
    error = error_of(reply)
    if error is not None:
        reply.raw = str(error.get("message")).encode()
        reply.headers["content-type"] = "text/plain; charset=utf-8"


contract(
    "error_detail_body",
    'FastAPI-based relay: errors as {"detail": ...}',
    "error.envelope",
    (UNKNOWN_ID,),
    reply=on_json(_detail_error, success=False),
    fast=True,
)
contract(
    "error_bare_string",
    "relay that passes an error message through as text/plain",
    "error.envelope",
    (UNKNOWN_ID,),
    reply=on_json(_bare_string_error, success=False),
)
contract(
    "auth_401_as_500",
    "relay whose auth middleware crashes on a bad key",
    "error.status",
    (NO_KEY,),
    reply=on_json(_status_as(401, 500), success=False),
)
contract(
    "error_with_status_200",
    "relay that always answers 200 and puts upstream errors in the body",
    "error.in_success",
    (UNKNOWN_ID,),
    reply=on_json(_status_as(None, 200), success=False),
)
contract(
    "deleted_flag_string",
    "relay that serialises booleans as strings",
    "delete.result",
    (DELETE,),
    reply=on_json(lambda r: r.body.update(deleted="true"), endpoints=("delete",), success=True),
)
contract(
    "input_items_without_last_id",
    "relay that pages with its own cursor and drops first_id/last_id",
    "input_items.list",
    (INPUT_ITEMS,),
    reply=on_json(
        lambda r: pop_fields("first_id", "last_id")(r.body),
        endpoints=("input_items",),
        success=True,
    ),
)

# ====================================================================================================
# Behaviour across calls or against the request (issue 11): caught by registered checks
# ====================================================================================================

contract(
    "output_item_done_dropped",
    "relay that forwards deltas but drops output_item.done (the terminal response still lists the item)",
    "stream.item.order",
    (STREAM_TEXT, STREAM_FUNCTION),
    reply=on_stream(drop("response.output_item.done", first_only=False)),
    fast=True,
)


def _completed_keeping_items(response: dict[str, Any]) -> None:
    """The response says completed; its items still say they were cut (truncation as success)."""
    if response.get("status") == "incomplete":
        response.update(status="completed", incomplete_details=None)


contract(
    "completed_with_incomplete_item",
    "relay that maps every finished upstream answer to completed and drops incomplete_details",
    "response.status_consistency",
    (TINY_MAX_JSON,),
    reply=on_responses(_completed_keeping_items),
    fast=True,
)
contract(
    "incomplete_without_reason",
    "relay that rebuilds incomplete_details from its own enum and loses the reason",
    "response.status_consistency",
    (TINY_MAX_JSON,),
    reply=on_responses(
        lambda r: r.get("incomplete_details") and r.update(incomplete_details={"reason": None})
    ),
)


def _stream_always(req: Req, state: State) -> None:
    if req.endpoint == "create" and isinstance(req.body, dict) and req.body.get("stream") is not True:
        req.body["stream"] = True


contract(
    "stream_unrequested",
    "relay that always asks upstream for a stream and passes it on, asked for or not",
    "stream.unrequested",
    (CREATE_JSON,),
    request=_stream_always,
)


def _rewrite_retrieved_id(reply: Reply) -> None:
    if isinstance(reply.body, dict) and isinstance(reply.body.get("id"), str):
        reply.body["id"] = "resp_relay_" + reply.body["id"].removeprefix("resp_")[::-1]


contract(
    "retrieve_id_rewritten",
    "relay that mints its own ids on retrieve (its cache key) instead of upstream's",
    "response.id.round_trip",
    (RETRIEVE_EQUALS,),
    reply=on_json(_rewrite_retrieved_id, endpoints=("retrieve",), success=True),
)


def _run_in_foreground(req: Req, state: State) -> None:
    if req.endpoint == "create" and isinstance(req.body, dict):
        req.body.pop("background", None)


contract(
    "background_answered_synchronously",
    "relay that runs background requests in the foreground and answers completed, background null",
    "request.background",
    (BACKGROUND_DONE,),
    request=_run_in_foreground,
    reply=on_responses(lambda r: r.update(background=None)),
)


def _truncation_as_success(response: dict[str, Any]) -> None:
    """Rebuilt as completed from its parts: nothing left says it was cut but the token count."""
    if response.get("status") == "incomplete":
        response.update(status="completed", incomplete_details=None)
        for item in response.get("output") or []:
            if isinstance(item, dict) and item.get("status") == "incomplete":
                item["status"] = "completed"


contract(
    "truncation_reported_completed",
    "relay that rebuilds every finished answer as completed, item statuses included",
    "usage.at_limit",
    (TINY_MAX_JSON,),
    reply=on_responses(_truncation_as_success),
)
contract(
    "model_changes_mid_stream",
    "relay that falls back to another model mid-stream and names it in the terminal event only",
    "lifecycle.model",
    (STREAM_TEXT,),
    reply=on_stream(terminal_response(model="gpt-4o-mini-relay-fallback")),
    fast=True,
)


def _refuse_cancel(req: Req, state: State) -> Reply | None:
    if req.endpoint != "cancel":
        return None
    error = {
        "message": "Cannot cancel a response in progress.",
        "type": "invalid_request_error",
        "param": None,
        "code": "conflict",
    }
    return Reply(409, {"content-type": "application/json"}, req, body={"error": error})


contract(
    "cancel_refused_while_running",
    "relay that only cancels finished work: a cancel of a running response gets 409",
    "lifecycle.cancel",
    (CANCEL,),
    request=_refuse_cancel,
)
