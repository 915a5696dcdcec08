"""The item state machine of a Responses stream.

One pass over the events (the idea of vLLM's stream validator in
``tests/entrypoints/openai/responses/conftest.py``): every opening event is paired with
its closing one, and item ids, output / content / summary indexes are tracked. The same
pass concatenates every delta, so the assembly rules (``stream_assembly``, what openai-python's
``ResponseStreamState`` relies on) are judged at the terminal event without a second walk.

The walk is pure: ``walk(exchange)`` returns the violations it found, keyed by check id;
``respcheck.checks.stream`` registers one thin check per id.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from itertools import islice
from typing import Any, TypeGuard

from respcheck.checks.common import TERMINAL_EVENTS, TypedEvent, event_ptr, stream_view
from respcheck.checks.registry import Violation
from respcheck.checks.stream_assembly import (
    ASSEMBLY_ARGUMENTS,
    ASSEMBLY_SUMMARY,
    ASSEMBLY_TEXT,
    ASSEMBLY_TOOL_INPUT,
    CONTENT_STREAMS,
    ITEM_CONSISTENT,
    ITEM_INDEX,
    ITEM_ORDER,
    PART_ORDER,
    AssemblyJudge,
    StreamedText,
    StreamItem,
    as_object,
    content_check,
)
from respcheck.exchange import Exchange, SSEEvent

# Item-level text streams (no content part): prefix -> (field of the .done event, field of the item, id).
_ITEM_STREAMS = {
    "response.function_call_arguments": ("arguments", "arguments", ASSEMBLY_ARGUMENTS),
    "response.custom_tool_call_input": ("input", "input", ASSEMBLY_TOOL_INPUT),
    "response.mcp_call_arguments": ("arguments", "arguments", ASSEMBLY_TOOL_INPUT),
    "response.code_interpreter_call_code": ("code", "code", ASSEMBLY_TOOL_INPUT),
}
_SUMMARY_STREAM = "response.reasoning_summary_text"

class _Walker(AssemblyJudge):
    """Feeds events through the item state machine, collecting violations by check id."""

    def __init__(self, resumed: bool) -> None:
        self.resumed = resumed  # a retrieve stream with starting_after: earlier events are missing
        self.items: dict[int, StreamItem] = {}
        self.found: dict[str, list[Violation]] = defaultdict(list)
        self.terminal_seen = False
        # The text the last event appended a delta to, and how its next deltas are addressed:
        # (type, output_index, index field or None, index, the item's id, the text).
        self.run: tuple[str, int, str | None, Any, Any, StreamedText] | None = None

    # -- dispatch ---------------------------------------------------------------------------

    def feed(self, event: SSEEvent, data: dict[str, Any], kind: str) -> None:
        """Judge one typed event (the others, and the events after the terminal one, are the envelope
        checks' to judge)."""
        if self.terminal_seen:
            return
        route = _ROUTES.get(kind)
        if route is not None:
            route(self, event, kind, data)
        elif "output_index" in data and not self.appended_delta(event, kind, data):
            self.on_item_event(event, kind, data)

    def appended_delta(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> bool:
        """The stream's bulk, in one call: a delta to an open item's open text that reports
        nothing is appended here, and True returned. Anything else (False) takes the full path
        (``on_item_event``), which judges it from the start: nothing here has changed state then.
        """
        family, prefix, suffix = _text_stream(kind)
        if suffix != "delta" or family is None:
            return False
        oi = data.get("output_index")
        item = self.items.get(oi) if type(oi) is int and oi >= 0 else None
        if item is None or item.done_at is not None:
            return False
        if "item_id" in data and item.id is not None and data["item_id"] != item.id:
            return False
        index_name: str | None = None
        index: Any = 0
        if family == "content":
            index_name, index = "content_index", data.get("content_index")
            text = item.parts.get(("content", index)) if type(index) is int and index >= 0 else None
            if (
                text is None
                or (text.opened_at is None and not text.partial)
                or text.kind != CONTENT_STREAMS[prefix][0]
                or item.type not in (None, "message", "reasoning")
            ):
                return False
        elif family == "summary":
            index_name, index = "summary_index", data.get("summary_index")
            text = item.parts.get(("summary", index)) if type(index) is int and index >= 0 else None
            if text is None or (text.opened_at is None and not text.partial):
                return False
        else:
            text = item.streams.get(prefix)
            if text is None:
                return False
        if text.closed_at is not None or text.done_at is not None:
            return False
        text.add_delta(data, event.index)
        self.run = (kind, item.output_index, index_name, index, item.id, text)
        return True

    def append_run(self, typed: tuple[TypedEvent, ...], position: int) -> int:
        """Append the deltas that follow, from ``position``, to the text the last delta went to, as
        long as they are addressed like it: nothing ``appended_delta`` judges can have changed in
        between (only a delta went by). Returns the position of the first event not taken."""
        assert self.run is not None
        kind, oi, index_name, index, item_id, text = self.run
        add_delta = text.add_delta
        for event, data, event_type in islice(typed, position, None):  # the stream's bulk: kept lean
            if event_type != kind:
                break
            value = data.get("output_index")
            if type(value) is not int or value != oi:
                break
            if index_name is not None:
                value = data.get(index_name)
                if type(value) is not int or value != index:
                    break
            if item_id is not None and "item_id" in data and data["item_id"] != item_id:
                break
            add_delta(data, event.index)
            position += 1
        return position

    def on_terminal_event(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        self.terminal_seen = True
        self.on_terminal(event, kind, data)

    # -- items ------------------------------------------------------------------------------

    def on_item_added(self, event: SSEEvent, data: dict[str, Any]) -> None:
        oi = data.get("output_index")
        item = as_object(data.get("item"))
        if not _is_index(oi):
            return  # the schema check names a missing or non-integer output_index
        if oi in self.items and not self.items[oi].partial:
            self.report(
                ITEM_ORDER,
                f"event {event.index} adds a second item at output_index {oi} "
                f"(already added by event {self.items[oi].added_at})",
                event_ptr(event.index, "output_index"),
            )
            return
        expected = len(self.items)
        if oi != expected and not self.resumed:
            self.report(
                ITEM_INDEX,
                f"event {event.index} adds an item at output_index {oi}, but the next free index is "
                f"{expected}: output indexes must count from 0 without gaps",
                event_ptr(event.index, "output_index"),
            )
        self.items[oi] = StreamItem(oi, item.get("id"), item.get("type"), event.index)

    def on_item_done(self, event: SSEEvent, data: dict[str, Any]) -> None:
        item = self.item_for(event, data, "response.output_item.done")
        if item is None:
            return
        done = as_object(data.get("item"))
        if item.done_at is not None:
            self.report(
                ITEM_ORDER,
                f"event {event.index} closes {item.name} a second time (first output_item.done: "
                f"event {item.done_at})",
                event_ptr(event.index),
            )
            return
        if item.id is not None and done.get("id") != item.id:
            self.report(
                ITEM_CONSISTENT,
                f"output_item.done at event {event.index} carries id {done.get('id')!r}, but "
                f"output_index {item.output_index} was added as {item.id!r}",
                event_ptr(event.index, "item", "id"),
            )
        if item.type is not None and done.get("type") != item.type:
            self.report(
                ITEM_CONSISTENT,
                f"output_item.done at event {event.index} has type {done.get('type')!r}, but "
                f"{item.name} was added as {item.type!r}",
                event_ptr(event.index, "item", "type"),
            )
        for text in item.parts.values():
            if text.opened_at is not None and text.closed_at is None and not text.partial:
                self.report(
                    PART_ORDER,
                    f"{item.name} is closed at event {event.index} while its {text.label} "
                    f"(opened at event {text.opened_at}) was never closed",
                    event_ptr(event.index),
                )
        item.done_at = event.index
        item.done_item = done
        self.check_done_texts(item)

    def on_item_event(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        item = self.item_for(event, data, kind)
        if item is None:
            return
        family, prefix, suffix = _text_stream(kind)
        if family == "content":
            self.on_content_text(event, item, prefix, suffix, data)
        elif family == "summary":
            self.on_summary_text(event, item, suffix, data)
        elif family == "item":
            self.on_item_text(event, item, prefix, suffix, data)

    def item_for(self, event: SSEEvent, data: dict[str, Any], kind: str) -> StreamItem | None:
        """The open item an event belongs to (reporting an unknown, closed or mismatched one)."""
        oi = data.get("output_index")
        if type(oi) is not int or oi < 0:  # _is_index, inlined: every item event passes here
            return None
        item = self.items.get(oi)
        if item is None:
            if self.resumed:  # opened before the resume point
                item = self.items[oi] = StreamItem(oi, data.get("item_id"), None, None, partial=True)
                return item
            self.report(
                ITEM_ORDER,
                f"event {event.index} ({kind}) refers to output_index {oi}, but no "
                "response.output_item.added opened it; openai-python raises 'Received a content "
                "event for output index ... before receiving its output item'",
                event_ptr(event.index, "output_index"),
            )
            return None
        if item.done_at is not None and kind != "response.output_item.done":
            self.report(
                ITEM_ORDER,
                f"event {event.index} ({kind}) comes after output_item.done closed {item.name} "
                f"at event {item.done_at}: output_item.done must be the item's last event",
                event_ptr(event.index),
            )
            return None
        item_id = data.get("item_id")
        if "item_id" in data and item.id is not None and item_id != item.id:
            self.report(
                ITEM_CONSISTENT,
                f"event {event.index} ({kind}) has item_id {item_id!r} and output_index {oi}, but "
                f"output_index {oi} is item {item.id!r}",
                event_ptr(event.index, "item_id"),
            )
        return item

    # -- content and summary parts ------------------------------------------------------------

    def part_address(
        self, event: SSEEvent, kind: str, data: dict[str, Any]
    ) -> tuple[StreamItem, str, str, int] | None:
        """The item, part family (content/summary), index field and index a part event names."""
        item = self.item_for(event, data, kind)
        if item is None:
            return None
        where, index_name = _part_address(kind)
        index = data.get(index_name)
        if not _is_index(index):
            return None
        return item, where, index_name, index

    def on_part_added(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        address = self.part_address(event, kind, data)
        if address is None:
            return
        item, where, index_name, index = address
        key = (where, index)
        existing = item.parts.get(key)
        if existing is not None and not existing.partial:
            self.report(
                PART_ORDER,
                f"event {event.index} adds {index_name} {index} of {item.name} a second time "
                f"(first added at event {existing.opened_at})",
                event_ptr(event.index, index_name),
            )
            return
        expected = sum(1 for k in item.parts if k[0] == where)
        if index != expected and not self.resumed:
            self.report(
                PART_ORDER,
                f"event {event.index} adds {index_name} {index} of {item.name}, but the next is "
                f"{expected}: part indexes count from 0 without gaps",
                event_ptr(event.index, index_name),
            )
        part = as_object(data.get("part"))
        part_type = part.get("type")
        text = self.part_text(item, where, index)
        text.opened_at = event.index
        text.kind = part_type if where == "content" else "summary_text"
        if where == "content":
            text.check_id, text.field = content_check(part_type)

    def on_part_done(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        address = self.part_address(event, kind, data)
        if address is None:
            return
        item, where, index_name, index = address
        text = item.parts.get((where, index))
        if text is None and self.resumed:  # opened before the resume point
            text = self.part_text(item, where, index)
            text.partial = True
        if text is None or (text.opened_at is None and not text.partial):
            self.report(
                PART_ORDER,
                f"event {event.index} ({kind}) closes {index_name} {index} of {item.name}, "
                "which was never added",
                event_ptr(event.index, index_name),
            )
            return
        if text.closed_at is not None:
            self.report(
                PART_ORDER,
                f"event {event.index} closes the {text.label} a second time (first at event "
                f"{text.closed_at})",
                event_ptr(event.index),
            )
            return
        if text.deltas and text.done_at is None and where == "content":
            self.report(
                PART_ORDER,
                f"event {event.index} closes the {text.label} before its response.{text.kind}.done",
                event_ptr(event.index),
            )
        text.closed_at = event.index
        part = data.get("part")
        if isinstance(part, dict):
            text.part_text = part.get(text.field)

    def part_text(self, item: StreamItem, where: str, index: int) -> StreamedText:
        key = (where, index)
        text = item.parts.get(key)
        if text is None:
            index_name = "content_index" if where == "content" else "summary_index"
            label = f"{_PART_NOUN[where]} at {index_name} {index} of {item.name}"
            check_id = ASSEMBLY_SUMMARY if where == "summary" else ASSEMBLY_TEXT
            text = item.parts[key] = StreamedText(label, check_id, "text")
        return text

    def on_content_text(
        self, event: SSEEvent, item: StreamItem, prefix: str, suffix: str, data: dict[str, Any]
    ) -> None:
        kind, done_field, check_id = CONTENT_STREAMS[prefix]
        index = data.get("content_index")
        if type(index) is not int or index < 0:  # _is_index, inlined: every text delta passes here
            return
        text = item.parts.get(("content", index))
        if text is not None and (text.opened_at is not None or text.partial):
            unopened = False  # written_part's common case, without the call
        else:
            text, unopened = self.written_part(
                event, item, "content", index, f"{prefix}.{suffix}", "response.content_part.added"
            )
        if unopened:
            text.kind, text.check_id, text.field = kind, check_id, done_field
        elif text.kind != kind and suffix in ("delta", "done"):
            self.report(
                ITEM_CONSISTENT,
                f"event {event.index} ({prefix}.{suffix}) writes {kind} into the {text.label}, "
                f"which was opened as a {text.kind!r} part",
                event_ptr(event.index, "content_index"),
            )
            return
        if item.type is not None and item.type not in ("message", "reasoning"):
            self.report(
                ITEM_CONSISTENT,
                f"event {event.index} ({prefix}.{suffix}) writes text into {item.name} of type "
                f"{item.type!r}, which has no content parts",
                event_ptr(event.index, "output_index"),
            )
        self.on_text_event(event, text, prefix, suffix, data, done_field)

    def on_summary_text(self, event: SSEEvent, item: StreamItem, suffix: str, data: dict[str, Any]) -> None:
        index = data.get("summary_index")
        if not _is_index(index):
            return
        opener = "response.reasoning_summary_part.added"
        text, _ = self.written_part(event, item, "summary", index, f"{_SUMMARY_STREAM}.{suffix}", opener)
        self.on_text_event(event, text, _SUMMARY_STREAM, suffix, data, "text")

    def written_part(
        self, event: SSEEvent, item: StreamItem, where: str, index: int, stream: str, opener: str
    ) -> tuple[StreamedText, bool]:
        """The content or summary part an event writes into, and whether it was never opened.

        A part written before its ``opener`` event is reported (unless the stream resumes
        mid-item) and judged as far as it goes: no assembly of a part never opened.
        """
        text = item.parts.get((where, index))
        if text is not None and (text.opened_at is not None or text.partial):
            return text, False
        if not self.resumed:
            self.report(
                PART_ORDER,
                f"event {event.index} ({stream}) writes to {where}_index {index} of {item.name} "
                f"before {opener} opened it",
                event_ptr(event.index, f"{where}_index"),
            )
        text = self.part_text(item, where, index)
        text.partial = True
        return text, True

    def on_item_text(
        self, event: SSEEvent, item: StreamItem, prefix: str, suffix: str, data: dict[str, Any]
    ) -> None:
        done_field, item_field, check_id = _ITEM_STREAMS[prefix]
        text = item.streams.get(prefix)
        if text is None:
            noun = prefix.removeprefix("response.").replace("_", " ")
            text = item.streams[prefix] = StreamedText(f"{noun} of {item.name}", check_id, item_field)
            text.kind = prefix
            text.partial = item.partial
        self.on_text_event(event, text, prefix, suffix, data, done_field)

    def on_text_event(
        self, event: SSEEvent, text: StreamedText, prefix: str, suffix: str, data: dict[str, Any],
        done_field: str,
    ) -> None:
        if text.closed_at is not None:
            self.report(
                PART_ORDER,
                f"event {event.index} ({prefix}.{suffix}) comes after the {text.label} was closed "
                f"at event {text.closed_at}",
                event_ptr(event.index),
            )
            return
        if suffix == "delta":
            if text.done_at is not None:
                self.report(
                    PART_ORDER,
                    f"event {event.index} is a delta after {prefix}.done (event {text.done_at}) "
                    f"ended the {text.label}",
                    event_ptr(event.index),
                )
                return
            text.add_delta(data, event.index)
        elif suffix == "done":
            if text.done_at is not None:
                self.report(
                    PART_ORDER,
                    f"event {event.index} repeats {prefix}.done for the {text.label} "
                    f"(first at event {text.done_at})",
                    event_ptr(event.index),
                )
                return
            text.done_at = event.index
            text.done_text = data.get(done_field)


_PART_NOUN = {"content": "content part", "summary": "reasoning summary part"}


def walk(exchange: Exchange) -> dict[str, list[Violation]]:
    """Every item-lifecycle and assembly violation in a stream, keyed by check id."""
    walker = _Walker(resumed=exchange.starting_after is not None)
    typed = stream_view(exchange).typed  # the events the state machine reads: typed JSON objects
    position = 0
    while position < len(typed):
        walker.run = None
        walker.feed(*typed[position])
        position += 1
        if walker.run is not None:  # a delta: the run of deltas after it, in one loop
            position = walker.append_run(typed, position)
    return walker.found



def _is_index(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0  # not isinstance: True is no index


@cache
def _text_stream(kind: str) -> tuple[str | None, str, str]:
    """``response.output_text.delta`` -> (``content``, ``response.output_text``, ``delta``): the
    family of text stream an item event writes to (content part, summary part, the item's own
    text, or None), its prefix and suffix; memoised (every delta passes here)."""
    prefix, _, suffix = kind.rpartition(".")
    if prefix in CONTENT_STREAMS:
        return "content", prefix, suffix
    if prefix == _SUMMARY_STREAM:
        return "summary", prefix, suffix
    if prefix in _ITEM_STREAMS:
        return "item", prefix, suffix
    return None, prefix, suffix


# The event types with their own handler (the rest: item events, when they carry output_index).
_ROUTES = {
    **dict.fromkeys(TERMINAL_EVENTS, _Walker.on_terminal_event),
    "response.output_item.added": lambda walker, event, kind, data: walker.on_item_added(event, data),
    "response.output_item.done": lambda walker, event, kind, data: walker.on_item_done(event, data),
    "response.content_part.added": _Walker.on_part_added,
    "response.reasoning_summary_part.added": _Walker.on_part_added,
    "response.content_part.done": _Walker.on_part_done,
    "response.reasoning_summary_part.done": _Walker.on_part_done,
}


def _part_address(kind: str) -> tuple[str, str]:
    if "summary" in kind:
        return "summary", "summary_index"
    return "content", "content_index"


