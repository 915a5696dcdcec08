"""The item state machine of a Responses stream, and what its deltas assemble to.

One pass over the events (the idea of vLLM's stream validator in
``tests/entrypoints/openai/responses/conftest.py``): every opening event is paired with
its closing one, and item ids, output / content / summary indexes are tracked. The same
pass concatenates every delta, so the assembly rules (what openai-python's
``ResponseStreamState`` relies on) can be judged without a second walk.

The walk is pure: ``walk(exchange)`` returns the violations it found, keyed by check id;
``respcheck.checks.stream`` registers one thin check per id.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeGuard

from respcheck.checks.common import TERMINAL_EVENTS, event_ptr
from respcheck.checks.registry import Violation
from respcheck.exchange import Exchange, SSEEvent
from respcheck.findings import Severity
from respcheck.redact import redact_text

ITEM_ORDER = "stream.item.order"
ITEM_INDEX = "stream.item.output_index"
ITEM_CONSISTENT = "stream.item.consistent"
PART_ORDER = "stream.content_part.order"
ASSEMBLY_TEXT = "stream.assembly.output_text"
ASSEMBLY_REFUSAL = "stream.assembly.refusal"
ASSEMBLY_REASONING_TEXT = "stream.assembly.reasoning_text"
ASSEMBLY_SUMMARY = "stream.assembly.reasoning_summary"
ASSEMBLY_ARGUMENTS = "stream.assembly.function_call_arguments"
ASSEMBLY_TOOL_INPUT = "stream.assembly.tool_input"
FINAL_OUTPUT = "stream.assembly.final_output"

# Content-part text streams: event prefix -> (kind, field of the .done event and of the part).
_CONTENT_STREAMS = {
    "response.output_text": ("output_text", "text", ASSEMBLY_TEXT),
    "response.refusal": ("refusal", "refusal", ASSEMBLY_REFUSAL),
    "response.reasoning_text": ("reasoning_text", "text", ASSEMBLY_REASONING_TEXT),
}
# Item-level text streams (no content part): prefix -> (field of the .done event, field of the item, id).
_ITEM_STREAMS = {
    "response.function_call_arguments": ("arguments", "arguments", ASSEMBLY_ARGUMENTS),
    "response.custom_tool_call_input": ("input", "input", ASSEMBLY_TOOL_INPUT),
    "response.mcp_call_arguments": ("arguments", "arguments", ASSEMBLY_TOOL_INPUT),
    "response.code_interpreter_call_code": ("code", "code", ASSEMBLY_TOOL_INPUT),
}
_SUMMARY_STREAM = "response.reasoning_summary_text"
# Items a client acts on when output_item.done closes them: the Vercel AI SDK emits a tool call
# and ends a text part on it, the OpenAI Agents SDK runs the call; an item left open breaks them.
CLIENT_ACTED_ITEMS = (
    "message",
    "function_call",
    "custom_tool_call",
    "reasoning",
    "computer_call",
    "local_shell_call",
    "shell_call",
    "apply_patch_call",
    "mcp_approval_request",
)
UNCLOSED_CONSEQUENCE = (
    "clients that act on output_item.done (the Vercel AI SDK emits tool calls and ends text parts "
    "on it, the OpenAI Agents SDK relies on it) never see the item finish: tool calling breaks"
)


@dataclass(slots=True)
class _Text:
    """One streamed text: a content part, a summary part, or an item's arguments/input/code."""

    label: str
    check_id: str
    field: str  # the text's field in the .done event, the closing part and the item
    kind: str | None = None  # output_text / refusal / reasoning_text / summary_text / arguments...
    opened_at: int | None = None  # content_part.added / reasoning_summary_part.added
    closed_at: int | None = None  # content_part.done / reasoning_summary_part.done
    done_at: int | None = None  # response.<kind>.done
    deltas: list[str] = dataclasses.field(default_factory=list)  # ``field`` is a column here
    first_delta_at: int | None = None
    done_text: Any = None
    part_text: Any = None
    partial: bool = False  # opened before a resumed stream started: deltas are incomplete


@dataclass(slots=True)
class _Item:
    output_index: int
    id: Any
    type: Any
    added_at: int | None
    done_at: int | None = None
    done_item: dict[str, Any] | None = None
    parts: dict[tuple[str, int], _Text] = field(default_factory=dict)  # ("content"|"summary", index)
    streams: dict[str, _Text] = field(default_factory=dict)  # item-level streams by prefix
    partial: bool = False

    @property
    def name(self) -> str:
        shown = f" {self.id}" if isinstance(self.id, str) else ""
        return f"item{shown} (output_index {self.output_index})"


class _Walker:
    """Feeds events through the item state machine, collecting violations by check id."""

    def __init__(self, resumed: bool) -> None:
        self.resumed = resumed  # a retrieve stream with starting_after: earlier events are missing
        self.items: dict[int, _Item] = {}
        self.found: dict[str, list[Violation]] = defaultdict(list)
        self.terminal_seen = False

    def report(self, check_id: str, message: str, at: str, severity: Severity | None = None) -> None:
        self.found[check_id].append(Violation(message, at, severity))

    # -- dispatch ---------------------------------------------------------------------------

    def feed(self, event: SSEEvent) -> None:
        data = event.json
        if not isinstance(data, dict) or self.terminal_seen:
            return  # non-JSON and post-terminal events are judged by the envelope checks
        kind = data.get("type")
        if not isinstance(kind, str):
            return
        route = _ROUTES.get(kind)
        if route is not None:
            route(self, event, kind, data)
        elif "output_index" in data:
            self.on_item_event(event, kind, data)

    def on_terminal_event(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        self.terminal_seen = True
        self.on_terminal(event, kind, data)

    # -- items ------------------------------------------------------------------------------

    def on_item_added(self, event: SSEEvent, data: dict[str, Any]) -> None:
        oi = data.get("output_index")
        item = _object(data.get("item"))
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
        self.items[oi] = _Item(oi, item.get("id"), item.get("type"), event.index)

    def on_item_done(self, event: SSEEvent, data: dict[str, Any]) -> None:
        item = self.item_for(event, data, "response.output_item.done")
        if item is None:
            return
        done = _object(data.get("item"))
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

    def item_for(self, event: SSEEvent, data: dict[str, Any], kind: str) -> _Item | None:
        """The open item an event belongs to (reporting an unknown, closed or mismatched one)."""
        oi = data.get("output_index")
        if type(oi) is not int or oi < 0:  # _is_index, inlined: every item event passes here
            return None
        item = self.items.get(oi)
        if item is None:
            if self.resumed:  # opened before the resume point
                item = self.items[oi] = _Item(oi, data.get("item_id"), None, None, partial=True)
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
    ) -> tuple[_Item, str, str, int] | None:
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
        part = _object(data.get("part"))
        part_type = part.get("type")
        text = self.part_text(item, where, index)
        text.opened_at = event.index
        text.kind = part_type if where == "content" else "summary_text"
        if where == "content":
            text.check_id, text.field = _content_check(part_type)

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

    def part_text(self, item: _Item, where: str, index: int) -> _Text:
        key = (where, index)
        text = item.parts.get(key)
        if text is None:
            index_name = "content_index" if where == "content" else "summary_index"
            label = f"{_PART_NOUN[where]} at {index_name} {index} of {item.name}"
            check_id = ASSEMBLY_SUMMARY if where == "summary" else ASSEMBLY_TEXT
            text = item.parts[key] = _Text(label, check_id, "text")
        return text

    def on_content_text(
        self, event: SSEEvent, item: _Item, prefix: str, suffix: str, data: dict[str, Any]
    ) -> None:
        kind, done_field, check_id = _CONTENT_STREAMS[prefix]
        index = data.get("content_index")
        if not _is_index(index):
            return
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

    def on_summary_text(self, event: SSEEvent, item: _Item, suffix: str, data: dict[str, Any]) -> None:
        index = data.get("summary_index")
        if not _is_index(index):
            return
        opener = "response.reasoning_summary_part.added"
        text, _ = self.written_part(event, item, "summary", index, f"{_SUMMARY_STREAM}.{suffix}", opener)
        self.on_text_event(event, text, _SUMMARY_STREAM, suffix, data, "text")

    def written_part(
        self, event: SSEEvent, item: _Item, where: str, index: int, stream: str, opener: str
    ) -> tuple[_Text, bool]:
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
        self, event: SSEEvent, item: _Item, prefix: str, suffix: str, data: dict[str, Any]
    ) -> None:
        done_field, item_field, check_id = _ITEM_STREAMS[prefix]
        text = item.streams.get(prefix)
        if text is None:
            noun = prefix.removeprefix("response.").replace("_", " ")
            text = item.streams[prefix] = _Text(f"{noun} of {item.name}", check_id, item_field)
            text.kind = prefix
            text.partial = item.partial
        self.on_text_event(event, text, prefix, suffix, data, done_field)

    def on_text_event(
        self, event: SSEEvent, text: _Text, prefix: str, suffix: str, data: dict[str, Any], done_field: str
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
            delta = data.get("delta")
            if isinstance(delta, str):
                if text.first_delta_at is None:
                    text.first_delta_at = event.index
                text.deltas.append(delta)
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

    # -- the end ----------------------------------------------------------------------------

    def on_terminal(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        response = _object(data.get("response"))
        output = response.get("output")
        final_ids = _final_ids(output)
        for item in self.items.values():
            if item.done_at is not None or item.partial:
                continue
            unclosed = (
                f"{item.name} was added at event {item.added_at} but never closed by "
                f"output_item.done before {kind} (event {event.index})"
            )
            backfilled = isinstance(item.id, str) and item.id in final_ids
            if backfilled and item.type not in CLIENT_ACTED_ITEMS:
                # OpenAI's own streams leave hosted-tool items open (mcp_list_tools, recorded);
                # the terminal response has the item and no client acts on its .done.
                message = (
                    f"{unclosed}; the terminal response has this {item.type} item, so clients that "
                    "read the final output recover it"
                )
                self.report(ITEM_ORDER, message, event_ptr(item.added_at or 0), Severity.WARNING)
            else:
                self.report(ITEM_ORDER, f"{unclosed}; {UNCLOSED_CONSEQUENCE}", event_ptr(item.added_at or 0))
        if kind != "response.failed" and isinstance(output, list):
            self.check_final_output(event, kind, output)

    def check_final_output(self, event: SSEEvent, kind: str, output: list[Any]) -> None:
        """The terminal response lists the streamed items: same ids, same order, same text."""
        streamed = [self.items[i] for i in sorted(self.items)]
        at = event_ptr(event.index, "response", "output")
        if streamed and not output:
            self.report(
                FINAL_OUTPUT,
                f"{kind} has output: [] after {len(streamed)} item(s) were streamed "
                f"({', '.join(str(i.id) for i in streamed[:3])}); clients that read the final "
                "response lose them",
                at,
            )
            return
        if self.resumed:
            return  # items before the resume point are missing here; the ids cannot be lined up
        streamed_ids = [i.id for i in streamed]
        final_ids = [o.get("id") if isinstance(o, dict) else None for o in output]
        if len(streamed) != len(output) or any(
            s is not None and s != f for s, f in zip(streamed_ids, final_ids, strict=False)
        ):
            self.report(
                FINAL_OUTPUT,
                f"{kind} lists output items {_short(final_ids)} but the stream added "
                f"{_short(streamed_ids)}: the final output must hold the streamed items, in order",
                at,
            )
            return
        for item, final in zip(streamed, output, strict=True):
            if isinstance(final, dict):
                final_at = event_ptr(event.index, "response", "output", item.output_index)
                self.check_final_texts(item, final, final_at)

    def check_done_texts(self, item: _Item) -> None:
        """At output_item.done: each text of the item assembles to the same string everywhere.

        Sources: the concatenated deltas, the ``.done`` event, the closing part and the
        item in output_item.done. Text the done item holds that no event ever streamed is
        reported too (a relay that wraps a finished answer in a fake stream).
        """
        for (where, index), text in item.parts.items():
            sources = _text_sources(text)
            sources.append(
                ("output_item.done", _part_field(item.done_item, where, index, text.field), item.done_at)
            )
            self.judge_assembly(text, sources)
        for text in item.streams.values():
            sources = _text_sources(text)
            done_value = item.done_item.get(text.field) if item.done_item else None
            sources.append(("output_item.done", done_value, item.done_at))
            self.judge_assembly(text, sources)
        if not self.resumed and not item.partial and item.done_item:
            self.check_unstreamed(item, item.done_item)

    def check_unstreamed(self, item: _Item, done: dict[str, Any]) -> None:
        at = event_ptr(item.done_at or 0, "item")
        for where, index, part in _text_parts(done):
            kind = part.get("type") if where == "content" else "summary_text"
            check_id, text_field = _content_check(kind) if where == "content" else (ASSEMBLY_SUMMARY, "text")
            value = part.get(text_field)
            if (where, index) not in item.parts and isinstance(value, str) and value:
                index_name = "content_index" if where == "content" else "summary_index"
                self.report(
                    check_id,
                    f"{item.name} ends with {len(value)} chars of {kind} at {index_name} {index} that "
                    "were never streamed (no part was opened for them, no delta carried them)",
                    at,
                )
        arguments = done.get("arguments")
        if (
            done.get("type") == "function_call"
            and "response.function_call_arguments" not in item.streams
            and isinstance(arguments, str)
            and arguments
        ):
            self.report(
                ASSEMBLY_ARGUMENTS,
                f"{item.name} ends with arguments {arguments[:40]!r} that were never streamed "
                "(no function_call_arguments.delta or .done)",
                at,
            )

    def check_final_texts(self, item: _Item, final: dict[str, Any], at: str) -> None:
        """At the terminal event: the final response's copy of each text equals the done item's."""
        for (where, index), text in item.parts.items():
            reference = _part_field(item.done_item, where, index, text.field)
            self.judge_link(text, reference, _part_field(final, where, index, text.field), at)
        for text in item.streams.values():
            reference = item.done_item.get(text.field) if item.done_item else None
            self.judge_link(text, reference, final.get(text.field), at)

    def judge_assembly(self, text: _Text, sources: list[tuple[str, Any, int | None]]) -> None:
        """Compare every recorded form of one text against the concatenated deltas."""
        if text.partial:
            return
        if text.deltas:
            # a key split across deltas is whole only here: mask it as the recorded .done copies are
            reference_name, reference = "the concatenated deltas", redact_text("".join(text.deltas))
        else:
            named = [(n, v) for n, v, _ in sources if isinstance(v, str)]
            if not named:
                return
            reference_name, reference = named[0]
            if reference and text.check_id != ASSEMBLY_TOOL_INPUT:
                # Text that never streamed: a client printing deltas shows nothing of it.
                at = sources[0][2] if sources[0][2] is not None else text.opened_at
                self.report(
                    text.check_id,
                    f"{text.label}: {len(reference)} chars of text that no delta carried",
                    event_ptr(at or 0),
                )
                return
        present = [(n, v, at) for n, v, at in sources if isinstance(v, str)]
        wrong = [(n, v, at) for n, v, at in present if v != reference]
        if not wrong:
            return
        _, value, at = wrong[0]
        names = _and(n for n, _, _ in wrong)
        if text.deltas and len(wrong) == len(present) > 1 and len({v for _, v, _ in wrong}) == 1:
            # Every later copy agrees with the others: the deltas are the odd one out.
            message = (
                f"{text.label}: the concatenated deltas differ from what {names} all say "
                f"({_first_difference(reference, value)}); a delta was lost, altered or repeated"
            )
            at = text.first_delta_at
        else:
            verb = "differs" if len(wrong) == 1 else "differ"
            message = (
                f"{text.label}: {names} {verb} from {reference_name} ({_first_difference(reference, value)})"
            )
        self.report(text.check_id, message, event_ptr(at or 0))

    def judge_link(self, text: _Text, reference: Any, final: Any, at: str) -> None:
        if text.partial or not isinstance(reference, str) or not isinstance(final, str) or reference == final:
            return
        self.report(
            text.check_id,
            f"{text.label}: the terminal response's copy differs from output_item.done "
            f"({_first_difference(reference, final)})",
            at,
        )


_PART_NOUN = {"content": "content part", "summary": "reasoning summary part"}


def walk(exchange: Exchange) -> dict[str, list[Violation]]:
    """Every item-lifecycle and assembly violation in a stream, keyed by check id."""
    walker = _Walker(resumed=exchange.starting_after is not None)
    for event in exchange.events or ():
        walker.feed(event)
    return walker.found


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (the schema checks report the shape)."""
    return value if isinstance(value, dict) else {}


def _is_index(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0  # not isinstance: True is no index


@cache
def _text_stream(kind: str) -> tuple[str | None, str, str]:
    """``response.output_text.delta`` -> (``content``, ``response.output_text``, ``delta``): the
    family of text stream an item event writes to (content part, summary part, the item's own
    text, or None), its prefix and suffix; memoised (every delta passes here)."""
    prefix, _, suffix = kind.rpartition(".")
    if prefix in _CONTENT_STREAMS:
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


def _content_check(part_type: Any) -> tuple[str, str]:
    for kind, text_field, check_id in _CONTENT_STREAMS.values():
        if kind == part_type:
            return check_id, text_field
    return ASSEMBLY_TEXT, "text"


def _text_sources(text: _Text) -> list[tuple[str, Any, int | None]]:
    sources: list[tuple[str, Any, int | None]] = []
    if text.done_at is not None:
        sources.append((f"{_done_name(text)}", text.done_text, text.done_at))
    if text.closed_at is not None:
        noun = "reasoning_summary_part.done" if text.kind == "summary_text" else "content_part.done"
        sources.append((noun, text.part_text, text.closed_at))
    return sources


def _done_name(text: _Text) -> str:
    if text.kind == "summary_text":
        return "reasoning_summary_text.done"
    if text.kind and text.kind.startswith("response."):
        return text.kind.removeprefix("response.") + ".done"
    return f"{text.kind}.done"


def _part_field(item: dict[str, Any] | None, where: str, index: int, text_field: str) -> Any:
    if not isinstance(item, dict):
        return None
    parts = item.get(where)  # content parts in "content", reasoning summaries in "summary"
    if isinstance(parts, list) and index < len(parts) and isinstance(parts[index], dict):
        return parts[index].get(text_field)
    return None


def _text_parts(item: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """The text-bearing parts of a finished item: message/reasoning content, reasoning summary."""
    for where in ("content", "summary"):
        parts = item.get(where)
        if isinstance(parts, list):
            for index, part in enumerate(parts):
                if isinstance(part, dict):
                    yield where, index, part


def _final_ids(output: Any) -> set[Any]:
    if not isinstance(output, list):
        return set()
    return {o.get("id") for o in output if isinstance(o, dict) and isinstance(o.get("id"), str)}


def _short(ids: list[Any]) -> str:
    shown = ", ".join(str(i) for i in ids[:4])
    return f"[{shown}{', ...' if len(ids) > 4 else ''}] ({len(ids)})"


def _and(names: Iterator[str]) -> str:
    listed = list(names)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]


def _first_difference(expected: str, actual: str) -> str:
    """Where two texts part ways, briefly: lengths and the first differing position."""
    at = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
    if at is None:
        at = min(len(expected), len(actual))
    return (
        f"{len(expected)} vs {len(actual)} chars, first difference at char {at}: "
        f"{expected[at : at + 20]!r} vs {actual[at : at + 20]!r}"
    )
