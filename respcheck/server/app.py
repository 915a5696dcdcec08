"""The Starlette application: routes, auth, and the glue between params, runs and storage.

Every handler goes through ``_endpoint``: Bearer auth first, then the handler; an
``APIError`` becomes OpenAI's error shape, and anything unexpected becomes a 500 in the
same shape (never a traceback in a body).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from respcheck.server import chat, resource
from respcheck.server import events as ev
from respcheck.server.errors import (
    APIError,
    error_body,
    invalid_api_key,
    invalid_type,
    invalid_url,
    invalid_value,
    missing_api_key,
    missing_parameter,
    request_too_large,
    response_not_found,
)
from respcheck.server.ids import new_id
from respcheck.server.input_items import normalize_input
from respcheck.server.model import DEFAULT_MODELS, ModelSpec
from respcheck.server.params import INCLUDABLE, CreateParams, parse_create, parse_model
from respcheck.server.request_json import (
    MAX_BODY_BYTES,
    check_range,
    optional_param,
    parse_body,
    reject_unknown,
)
from respcheck.server.runner import TERMINAL_STATUSES, ResponseRun
from respcheck.server.store import Store
from respcheck.server.wire import WireForm, wire_form

log = logging.getLogger("respcheck.server")
Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class ServerState:
    store: Store
    models: dict[str, ModelSpec]
    api_key: str | None = None
    latency: float = 0.0
    # The header the key must come in: Authorization (as Bearer, OpenAI's way), or e.g. api-key (Azure's)
    auth_header: str = "authorization"
    # Seconds a foreground create waits before it answers (a model's time to first byte), so the
    # server can stand in for a slow relay.
    first_byte: float = 0.0
    wire: WireForm = field(default_factory=WireForm)
    live: dict[str, ResponseRun] = field(default_factory=dict)  # stored runs still in flight
    running: set[ResponseRun] = field(default_factory=set)  # every run in flight, stored or not
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def release_streams(self) -> None:
        """Shutdown: end the streams that follow runs, so connections close before the loop stops."""
        for run in list(self.running):
            run.release_followers()


# ---------------------------------------------------------------- plumbing


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(ev.encode_json(body), status_code=status, media_type="application/json", headers=headers)


def error_response(err: APIError) -> Response:
    return json_response(error_body(err), err.status, err.headers)


def sse_response(frames: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def sse_frames(
    events: AsyncIterator[ev.Event], wire: WireForm, obfuscate: bool = True
) -> AsyncIterator[bytes]:
    terminal = False
    async for event in events:
        if not obfuscate and "obfuscation" in event:
            event = {k: v for k, v in event.items() if k != "obfuscation"}
        terminal = event["type"] in ev.TERMINAL_EVENTS
        yield ev.sse_frame(event)
    if terminal and wire.done_marker:  # Open Responses ends a finished stream with the marker
        yield ev.sse_data_frame("[DONE]")


async def iterate(items: Iterable[ev.Event]) -> AsyncIterator[ev.Event]:
    for item in items:
        yield item


def check_auth(request: Request, api_key: str | None, auth_header: str = "authorization") -> None:
    header = request.headers.get(auth_header, "")
    if auth_header.lower() == "authorization":
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
    else:  # api-key: KEY, as Azure OpenAI takes it (no scheme)
        token = header
    if not token.strip():
        raise missing_api_key(auth_header)
    if api_key is not None and token.strip() != api_key:
        raise invalid_api_key()


def _endpoint(handler: Callable[[Request, ServerState], Awaitable[Response]]) -> Handler:
    async def wrapped(request: Request) -> Response:
        state: ServerState = request.app.state.server
        try:
            check_auth(request, state.api_key, state.auth_header)
            response = await handler(request, state)
        except APIError as err:
            response = error_response(err)
        except Exception:  # a bug in the server: say so in OpenAI's shape, log the traceback
            log.exception("unhandled error serving %s %s", request.method, request.url.path)
            response = error_response(
                APIError(500, "The server had an error while processing your request.", type="server_error")
            )
        response.headers["x-request-id"] = new_id("req")[:36]
        return response

    return wrapped


# Bodies above this size are parsed, validated and tokenised in a worker thread: a 50 MB input
# takes seconds to count, and the event loop keeps answering everyone else meanwhile.
OFF_LOOP_BYTES = 256 * 1024
# An oversized body is read to its end (and dropped) up to this much before the 413, so that the
# client, still sending, reads the answer instead of a reset; beyond it the connection closes.
DRAIN_BYTES = 4 * MAX_BODY_BYTES
_LARGE_BODY = "respcheck.large_body"


async def read_body(request: Request) -> bytes:
    """The body, refused with a 413 in OpenAI's shape beyond ``MAX_BODY_BYTES`` (never buffered whole)."""
    declared = request.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    too_large = declared.isdigit() and int(declared) > MAX_BODY_BYTES
    async for chunk in request.stream():
        size += len(chunk)
        too_large = too_large or size > MAX_BODY_BYTES
        if too_large:
            chunks.clear()
            if size > DRAIN_BYTES:
                break
        else:
            chunks.append(chunk)
    if too_large:
        raise request_too_large(MAX_BODY_BYTES)
    request.scope[_LARGE_BODY] = size > OFF_LOOP_BYTES
    return b"".join(chunks)


async def read_json(request: Request) -> dict[str, Any]:
    return await off_loop(request, parse_body, await read_body(request))


async def off_loop(request: Request, work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)``: in a worker thread for a large body, inline (cheaper) for the usual small one."""
    if request.scope.get(_LARGE_BODY):
        return await run_in_threadpool(work, *args)
    return work(*args)


def _query_list(request: Request, name: str) -> list[str]:
    return request.query_params.getlist(name) + request.query_params.getlist(f"{name}[]")


def _start(state: ServerState, run: ResponseRun, pace: bool) -> None:
    task = asyncio.create_task(run.run(pace))
    state.tasks.add(task)
    state.running.add(run)
    task.add_done_callback(state.tasks.discard)
    task.add_done_callback(lambda _: state.running.discard(run))
    if run.store is not None:
        state.live[run.id] = run
        task.add_done_callback(lambda _: state.live.pop(run.id, None))


# ---------------------------------------------------------------- conversation state


def find_response(state: ServerState, response_id: str) -> dict[str, Any] | None:
    run = state.live.get(response_id)
    if run is not None:
        return run.snapshot()
    return state.store.get_response(response_id)


def input_items_of(state: ServerState, response_id: str) -> list[dict[str, Any]]:
    """The input items a response was created with (a run in flight holds them, else the store)."""
    run = state.live.get(response_id)
    return list(run.params.input_items) if run is not None else state.store.input_items(response_id)


def conversation_before(state: ServerState, previous_id: str | None) -> list[dict[str, Any]]:
    """The items a ``previous_response_id`` chain carries: each response's input, then its output."""
    turns: list[list[dict[str, Any]]] = []
    current = previous_id
    while current is not None:
        found = find_response(state, current)
        if found is None:
            raise APIError(
                400,
                f"Previous response with id '{current}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        turns.append(input_items_of(state, current) + list(found.get("output") or []))
        current = found.get("previous_response_id")
    return [item for turn in reversed(turns) for item in turn]


def fit_context(params: CreateParams, conversation: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Apply ``truncation``: drop the oldest items (auto) or refuse (disabled) when too long."""
    count = resource.input_token_count(params.instructions, [], params.tools, params.text.get("format"))
    sizes = [resource.item_tokens(item) for item in conversation]
    count += sum(sizes)
    limit = params.spec.context_window
    dropped = 0
    while count > limit and params.truncation == "auto" and dropped < len(conversation) - 1:
        count -= sizes[dropped]
        dropped += 1
    conversation = conversation[dropped:]
    if count > limit:
        raise APIError(
            400,
            f"Your input exceeds the context window of this model ({count} > {limit} tokens). "
            "Please adjust your input and try again.",
            param="input",
            code="context_length_exceeded",
        )
    return conversation, count


# ---------------------------------------------------------------- /v1/responses


def prepare_create(
    state: ServerState, body: dict[str, Any]
) -> tuple[CreateParams, list[dict[str, Any]], int]:
    """Validate a create request and fit its conversation to the context (the costly part: tokenising)."""
    params = parse_create(body, state.models)
    conversation = conversation_before(state, params.previous_response_id) + params.input_items
    conversation, input_tokens = fit_context(params, conversation)
    return params, conversation, input_tokens


async def create_response(request: Request, state: ServerState) -> Response:
    body = await read_json(request)
    params, conversation, input_tokens = await off_loop(request, prepare_create, state, body)
    run = ResponseRun(params, conversation, input_tokens, state.store, state.latency, state.wire)
    if state.first_byte > 0 and not params.background:
        await asyncio.sleep(state.first_byte)
    if params.background:
        run.save_initial()
        _start(state, run, pace=True)
        if params.stream:
            return sse_response(sse_frames(run.follow(), state.wire))
        return json_response(run.snapshot())
    if params.stream:
        _start(state, run, pace=True)
        return sse_response(sse_frames(run.follow(), state.wire))
    await run.run(pace=False)
    return json_response(run.snapshot())


async def retrieve_response(request: Request, state: ServerState) -> Response:
    response_id = request.path_params["response_id"]
    _check_include(request)
    stream = request.query_params.get("stream", "false").lower() == "true"
    starting_after = _int_query(request, "starting_after", -1)
    obfuscate = request.query_params.get("include_obfuscation", "true").lower() != "false"
    run = state.live.get(response_id)
    if run is not None:
        if stream:
            return sse_response(sse_frames(run.follow(starting_after), state.wire, obfuscate))
        return json_response(run.snapshot())
    found = state.store.get_response(response_id)
    if found is None:
        raise response_not_found(response_id)
    if stream:
        # a stream's own events when it was streamed; else the stream it would have been
        recorded = state.store.events(response_id) or ev.replay(found)
        later = [e for e in recorded if e["sequence_number"] > starting_after]
        return sse_response(sse_frames(iterate(later), state.wire, obfuscate))
    return json_response(found)


def _check_include(request: Request) -> None:
    for i, value in enumerate(_query_list(request, "include")):
        if value not in INCLUDABLE:
            raise invalid_value(
                f"include[{i}]", f"Invalid value: '{value}' is not something that can be included."
            )


def _int_query(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_type(name, "integer", raw) from None


async def delete_response(request: Request, state: ServerState) -> Response:
    response_id = request.path_params["response_id"]
    run = state.live.pop(response_id, None)
    if run is not None:
        await run.cancel()
    if not state.store.delete(response_id):
        raise response_not_found(response_id)
    return json_response(resource.deleted(response_id))


async def cancel_response(request: Request, state: ServerState) -> Response:
    response_id = request.path_params["response_id"]
    found = find_response(state, response_id)
    if found is None:
        raise response_not_found(response_id)
    if not found.get("background"):
        raise APIError(400, "Cannot cancel a synchronous response.", param=None, code=None)
    run = state.live.get(response_id)
    if run is not None and found.get("status") not in TERMINAL_STATUSES:
        return json_response(await run.cancel())
    if found.get("status") == "cancelled":
        return json_response(found)  # cancelling twice is idempotent
    raise APIError(
        400,
        f"Cannot cancel a response with status '{found.get('status')}': only queued or in-progress "
        "responses can be cancelled.",
        param=None,
        code=None,
    )


async def list_input_items(request: Request, state: ServerState) -> Response:
    response_id = request.path_params["response_id"]
    if find_response(state, response_id) is None:
        raise response_not_found(response_id)
    _check_include(request)
    limit = _int_query(request, "limit", 20)
    check_range("limit", limit, 1, 100, "integer")
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_value("order", f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.")
    items = input_items_of(state, response_id)
    if order == "desc":
        items.reverse()
    after = request.query_params.get("after")
    if after is not None:
        ids = [i["id"] for i in items]
        if after not in ids:
            raise invalid_value("after", f"No input item with id '{after}' in response '{response_id}'.")
        items = items[ids.index(after) + 1 :]
    page = items[:limit]
    return json_response(resource.item_list(page, has_more=len(items) > limit))


_INPUT_TOKENS_PARAMETERS = frozenset(
    {
        "model",
        "input",
        "instructions",
        "previous_response_id",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "text",
        "reasoning",
        "truncation",
        "conversation",
    }
)


async def count_input_tokens(request: Request, state: ServerState) -> Response:
    body = await read_json(request)
    reject_unknown(body, _INPUT_TOKENS_PARAMETERS)
    # the model is optional here; any known model counts with the same encoding
    _, _, count = await off_loop(
        request, prepare_create, state, {"model": next(iter(state.models)), **body}
    )
    return json_response(resource.input_tokens_result(count))


_COMPACT_PARAMETERS = frozenset(
    {"model", "input", "instructions", "previous_response_id", "prompt_cache_key"}
)


async def compact_conversation(request: Request, state: ServerState) -> Response:
    """Keep the user messages, fold the rest into one opaque ``compaction`` item."""
    body = await read_json(request)
    return await off_loop(request, compacted, state, body)


def compacted(state: ServerState, body: dict[str, Any]) -> Response:
    reject_unknown(body, _COMPACT_PARAMETERS)
    parse_model(body, state.models)  # an unknown model is refused as on create
    previous = optional_param(body, "previous_response_id", "string")
    instructions = optional_param(body, "instructions", "string")
    conversation = conversation_before(state, previous) + normalize_input(body.get("input"), "input")
    if not conversation:
        raise missing_parameter("input")
    input_tokens = resource.input_token_count(instructions, conversation, [])
    kept = [i for i in conversation if i.get("type") == "message" and i.get("role") == "user"]
    compaction_id = new_id("cmp")
    folded = resource.encrypted_reasoning(compaction_id)
    output_tokens = len(folded) // 4
    body_out = {
        "id": new_id("resp"),
        "object": "response.compaction",
        "created_at": int(time.time()),
        "output": [*kept, {"id": compaction_id, "type": "compaction", "encrypted_content": folded}],
        "usage": state.wire.usage(resource.usage(input_tokens, output_tokens, 0)),
    }
    return json_response(body_out)


# ---------------------------------------------------------------- /v1/chat/completions


async def chat_completions(request: Request, state: ServerState) -> Response:
    body = await read_json(request)
    completion = await off_loop(request, chat.parse_chat, body, state.models)
    if completion.stream:
        return sse_response(chat.chunk_frames(completion, state.latency))
    return json_response(chat.completion_body(completion))


# ---------------------------------------------------------------- /v1/models (relays probe it)

MODELS_CREATED = 1_700_000_000


def model_object(spec: ModelSpec) -> dict[str, Any]:
    return {"id": spec.name, "object": "model", "created": MODELS_CREATED, "owned_by": "respcheck"}


async def list_models(request: Request, state: ServerState) -> Response:
    return json_response({"object": "list", "data": [model_object(m) for m in state.models.values()]})


async def retrieve_model(request: Request, state: ServerState) -> Response:
    name = request.path_params["model"]
    spec = state.models.get(name)
    if spec is None:
        raise APIError(404, f"The model '{name}' does not exist", param="model", code="model_not_found")
    return json_response(model_object(spec))


# ---------------------------------------------------------------- the app


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, wrong method) in OpenAI's error shape."""
    status = getattr(exc, "status_code", 500)
    try:
        state = request.app.state.server
        check_auth(request, state.api_key, state.auth_header)
    except APIError as err:
        return error_response(err)
    if status == 404:
        return error_response(invalid_url(request.method, request.url.path))
    return error_response(APIError(status, f"Method {request.method} not allowed for {request.url.path}."))


def build_app(
    store: Store,
    models: Iterable[ModelSpec] | None = None,
    api_key: str | None = None,
    latency: float = 0.0,
    profile: str | Iterable[str] = "openai",
    first_byte: float = 0.0,
    auth_header: str = "authorization",
) -> Starlette:
    """The app; ``profile`` (one or a list) picks the wire form it speaks (``respcheck.server.wire``)."""
    routes = [
        Route("/v1/responses", _endpoint(create_response), methods=["POST"]),
        Route("/v1/responses/input_tokens", _endpoint(count_input_tokens), methods=["POST"]),
        Route("/v1/responses/compact", _endpoint(compact_conversation), methods=["POST"]),
        Route("/v1/responses/{response_id}", _endpoint(retrieve_response), methods=["GET"]),
        Route("/v1/responses/{response_id}", _endpoint(delete_response), methods=["DELETE"]),
        Route("/v1/responses/{response_id}/cancel", _endpoint(cancel_response), methods=["POST"]),
        Route("/v1/responses/{response_id}/input_items", _endpoint(list_input_items), methods=["GET"]),
        Route("/v1/chat/completions", _endpoint(chat_completions), methods=["POST"]),
        Route("/v1/models", _endpoint(list_models), methods=["GET"]),
        Route("/v1/models/{model:path}", _endpoint(retrieve_model), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_exception})
    app.state.server = ServerState(
        store=store,
        models={m.name: m for m in (models or DEFAULT_MODELS)},
        api_key=api_key,
        latency=latency,
        first_byte=first_byte,
        auth_header=auth_header.lower(),
        wire=wire_form(profile),
    )
    _fail_unfinished(store)
    return app


def _fail_unfinished(store: Store) -> None:
    """A run the previous process left in flight can never finish: mark it failed."""
    for response in store.unfinished():
        response["status"] = "failed"
        response["error"] = {
            "code": "server_error",
            "message": "The server restarted before the response finished.",
        }
        store.save_response(response, None)
