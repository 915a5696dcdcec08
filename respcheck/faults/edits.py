"""Small building blocks the catalogue's entries are written with.

Each returns a hook for a ``Fault`` (see ``model.py``): ``on_stream(fn)`` edits the events of
a successful stream, ``on_responses(fn)`` every Response object wherever it travels,
``on_request(fn)`` the create body, and so on. They keep each catalogue entry one line of
intent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from respcheck.faults.model import Frame, NotApplicable, Reply, ReplyHook, Req, RequestHook, State, Stream

TERMINAL = ("response.completed", "response.incomplete", "response.failed")
RESPONSE_ENDPOINTS = ("create", "retrieve", "cancel")
STREAM_ENDPOINTS = ("create", "retrieve")  # not /chat/completions: its chunks are another grammar


def on_stream_reply(fn: Callable[[Reply], None]) -> ReplyHook:
    """Edit the reply that carries a successful Responses event stream (its headers, status...)."""

    def hook(reply: Reply, state: State) -> None:
        if reply.stream is not None and reply.is_success and reply.request.endpoint in STREAM_ENDPOINTS:
            fn(reply)

    return hook


def on_stream(fn: Callable[[Stream], None]) -> ReplyHook:
    """Edit the events of a successful Responses event stream (create, or a retrieve stream)."""

    def edit(reply: Reply) -> None:
        assert reply.stream is not None  # on_stream_reply passes only streams
        fn(reply.stream)

    return on_stream_reply(edit)


def on_json(
    fn: Callable[[Reply], None], endpoints: Iterable[str] | None = None, success: bool | None = None
) -> ReplyHook:
    """Edit a JSON answer (optionally only on some endpoints, only 2xx or only errors)."""
    wanted = frozenset(endpoints) if endpoints is not None else None

    def hook(reply: Reply, state: State) -> None:
        if not reply.is_json or (wanted is not None and reply.request.endpoint not in wanted):
            return
        if success is not None and reply.is_success != success:
            return
        fn(reply)

    return hook


def on_responses(fn: Callable[[dict[str, Any]], None], final_only: bool = False) -> ReplyHook:
    """Edit every Response object: a create/retrieve/cancel JSON body and those events carry.

    ``final_only``: only the one a client keeps (the JSON body, or the terminal event's).
    """

    def hook(reply: Reply, state: State) -> None:
        if not reply.is_success or reply.request.endpoint not in RESPONSE_ENDPOINTS:
            return
        if reply.stream is not None:
            for frame in reply.stream.frames:
                if not isinstance(frame.data, dict) or not isinstance(frame.data.get("response"), dict):
                    continue
                if final_only and frame.type not in TERMINAL:
                    continue
                fn(frame.data["response"])
        elif isinstance(reply.body, dict):
            fn(reply.body)

    return hook


def on_request(fn: Callable[[dict[str, Any]], None], endpoints: Iterable[str] = ("create",)) -> RequestHook:
    """Edit the JSON request body before it is forwarded (only on ``endpoints``)."""
    wanted = frozenset(endpoints)

    def hook(req: Req, state: State) -> None:
        if req.endpoint in wanted and isinstance(req.body, dict):
            fn(req.body)

    return hook


# -- stream edits ---------------------------------------------------------------------------------


def drop(*types: str, first_only: bool = True, renumber: bool = True) -> Callable[[Stream], None]:
    """Remove events of these types (the first such, or all), re-sequencing what is left."""

    def edit(stream: Stream) -> None:
        hits = [f for f in stream.frames if f.type in types]
        for frame in hits[:1] if first_only else hits:
            stream.frames.remove(frame)
        if renumber:
            stream.renumber()

    return edit


def first(frames: list[Frame]) -> Frame:
    if not frames:
        raise NotApplicable("no such event")
    return frames[0]


def middle(frames: list[Frame]) -> Frame:
    if not frames:
        raise NotApplicable("no such event")
    return frames[len(frames) // 2]


def last(frames: list[Frame]) -> Frame:
    if not frames:
        raise NotApplicable("no such event")
    return frames[-1]


def move_before(moved: str, anchor: str, last_anchor: bool = False) -> Callable[[Stream], None]:
    """Move the first ``moved`` event in front of the first (or last) ``anchor`` event; re-sequence."""
    return _move(moved, anchor, 0, last_anchor)


def move_after(moved: str, anchor: str) -> Callable[[Stream], None]:
    """Move the first ``moved`` event just behind the first ``anchor`` event; re-sequence."""
    return _move(moved, anchor, 1)


def _move(moved: str, anchor: str, offset: int, last_anchor: bool = False) -> Callable[[Stream], None]:
    def edit(stream: Stream) -> None:
        frame = first(stream.of_type(moved))
        target = (last if last_anchor else first)([f for f in stream.of_type(anchor) if f is not frame])
        stream.frames.remove(frame)
        stream.frames.insert(stream.frames.index(target) + offset, frame)
        stream.renumber()

    return edit


def each_event(fn: Callable[[dict[str, Any]], None], *types: str) -> Callable[[Stream], None]:
    """Apply ``fn`` to the data of every event (of these types, when given)."""

    def edit(stream: Stream) -> None:
        for frame in stream.frames:
            if isinstance(frame.data, dict) and (not types or frame.type in types):
                fn(frame.data)

    return edit


def sequence_numbers(fn: Callable[[int, int], int | None]) -> Callable[[Stream], None]:
    """Rewrite sequence_number: ``fn(position, total)`` gives the new number (None removes it)."""

    def edit(stream: Stream) -> None:
        numbered = [f.data for f in stream.frames if isinstance(f.data, dict) and "sequence_number" in f.data]
        for position, data in enumerate(numbered):
            value = fn(position, len(numbered))
            if value is None:
                del data["sequence_number"]
            else:
                data["sequence_number"] = value

    return edit


def copy_frame(frame: Frame) -> Frame:
    return Frame(frame.event, copy.deepcopy(frame.data), list(frame.before), frame.raw)


# -- Response object helpers ---------------------------------------------------------------------


def text_parts(response: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in items(response, "message"):
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "output_text":
                yield part


def items(response: dict[str, Any], item_type: str) -> Iterator[dict[str, Any]]:
    for item in response.get("output") or []:
        if isinstance(item, dict) and item.get("type") == item_type:
            yield item


def usage_of(response: dict[str, Any]) -> dict[str, Any]:
    usage = response.get("usage")
    return usage if isinstance(usage, dict) else {}


def reorder_keys(value: Any, fn: Callable[[list[str]], list[str]]) -> Any:
    """A copy of a JSON value with every object's keys put in the order ``fn`` gives."""
    if isinstance(value, dict):
        return {k: reorder_keys(value[k], fn) for k in fn(list(value))}
    if isinstance(value, list):
        return [reorder_keys(v, fn) for v in value]
    return value


# -- small edits several catalogue modules use --------------------------------------------------


def deltas(stream: Stream, kind: str = "response.output_text.delta") -> list[Frame]:
    return stream.of_type(kind)


def terminal(stream: Stream) -> Frame:
    return last(stream.of_type(*TERMINAL))


def terminal_response(**fields: Any):
    """Overwrite these fields of the Response the terminal event carries (and only there)."""

    def edit(stream: Stream) -> None:
        terminal(stream).data["response"].update(copy.deepcopy(fields))

    return edit


def set_field(key: str, value: Any):
    def edit(target: dict[str, Any]) -> None:
        target[key] = value

    return edit


def pop_fields(*keys: str):
    def edit(target: dict[str, Any]) -> None:
        for key in keys:
            target.pop(key, None)

    return edit


def error_of(reply: Reply) -> dict[str, Any] | None:
    """The ``error`` object of an OpenAI-shaped error body (None when the body has none)."""
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    return error if isinstance(error, dict) else None


def response_id(req: Req) -> str:
    """The ``{response_id}`` a retrieve or delete path ends with."""
    return req.path.rstrip("/").rsplit("/", 1)[-1]
