"""What a Responses stream's deltas assemble to, judged when the stream ends.

The item state machine (``stream_items``) records every streamed text (content parts, summary
parts, an item's arguments / input / code) as it walks the events; at the terminal event this
judge holds the texts to what openai-python's ``ResponseStreamState`` relies on: concatenated
deltas == the ``.done`` event == the closing part == the item in ``output_item.done`` == the
final response's output, and the final output lists the streamed items.

Pure: no I/O. Owns the check ids of the stream walk (``respcheck.checks.stream`` registers them).
"""


import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from respcheck.checks.common import event_ptr
from respcheck.checks.registry import Violation
from respcheck.exchange import SSEEvent
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
CONTENT_STREAMS = {
    "response.output_text": ("output_text", "text", ASSEMBLY_TEXT),
    "response.refusal": ("refusal", "refusal", ASSEMBLY_REFUSAL),
    "response.reasoning_text": ("reasoning_text", "text", ASSEMBLY_REASONING_TEXT),
}

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
class StreamedText:
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

    def add_delta(self, data: dict[str, Any], at: int) -> None:
        """Take the ``delta`` of the event at ``at`` (a delta that is not a string adds nothing)."""
        delta = data.get("delta")
        if isinstance(delta, str):
            if self.first_delta_at is None:
                self.first_delta_at = at
            self.deltas.append(delta)


@dataclass(slots=True)
class StreamItem:
    output_index: int
    id: Any
    type: Any
    added_at: int | None
    done_at: int | None = None
    done_item: dict[str, Any] | None = None
    parts: dict[tuple[str, int], StreamedText] = field(default_factory=dict)  # ("content"|"summary", index)
    streams: dict[str, StreamedText] = field(default_factory=dict)  # item-level streams by prefix
    partial: bool = False

    @property
    def name(self) -> str:
        shown = f" {self.id}" if isinstance(self.id, str) else ""
        return f"item{shown} (output_index {self.output_index})"



class AssemblyJudge:
    """The end of the walk: the texts and items recorded so far, judged (the state machine derives
    from it and keeps ``items`` up to date)."""

    resumed: bool  # a retrieve stream with starting_after: earlier events are missing
    items: dict[int, StreamItem]
    found: dict[str, list[Violation]]

    def report(self, check_id: str, message: str, at: str, severity: Severity | None = None) -> None:
        self.found[check_id].append(Violation(message, at, severity))

    def on_terminal(self, event: SSEEvent, kind: str, data: dict[str, Any]) -> None:
        response = as_object(data.get("response"))
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
        if streamed and not output:
            self.report(
                FINAL_OUTPUT,
                f"{kind} has output: [] after {len(streamed)} item(s) were streamed "
                f"({', '.join(str(i.id) for i in streamed[:3])}); clients that read the final "
                "response lose them",
                event_ptr(event.index, "response", "output"),
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
                event_ptr(event.index, "response", "output"),
            )
            return
        for item, final in zip(streamed, output, strict=True):
            if isinstance(final, dict):
                self.check_final_texts(item, final, event.index)

    def check_done_texts(self, item: StreamItem) -> None:
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

    def check_unstreamed(self, item: StreamItem, done: dict[str, Any]) -> None:
        for where, index, part in _text_parts(done):
            kind = part.get("type") if where == "content" else "summary_text"
            check_id, text_field = content_check(kind) if where == "content" else (ASSEMBLY_SUMMARY, "text")
            value = part.get(text_field)
            if (where, index) not in item.parts and isinstance(value, str) and value:
                index_name = "content_index" if where == "content" else "summary_index"
                self.report(
                    check_id,
                    f"{item.name} ends with {len(value)} chars of {kind} at {index_name} {index} that "
                    "were never streamed (no part was opened for them, no delta carried them)",
                    event_ptr(item.done_at or 0, "item"),
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
                event_ptr(item.done_at or 0, "item"),
            )

    def check_final_texts(self, item: StreamItem, final: dict[str, Any], terminal_index: int) -> None:
        """At the terminal event (``terminal_index``): the final response's copy of each text equals the
        done item's."""
        for (where, index), text in item.parts.items():
            reference = _part_field(item.done_item, where, index, text.field)
            final_text = _part_field(final, where, index, text.field)
            self.judge_link(text, reference, final_text, item, terminal_index)
        for text in item.streams.values():
            reference = item.done_item.get(text.field) if item.done_item else None
            self.judge_link(text, reference, final.get(text.field), item, terminal_index)

    def judge_assembly(self, text: StreamedText, sources: list[tuple[str, Any, int | None]]) -> None:
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

    def judge_link(
        self, text: StreamedText, reference: Any, final: Any, item: StreamItem, terminal_index: int
    ) -> None:
        if text.partial or not isinstance(reference, str) or not isinstance(final, str) or reference == final:
            return
        self.report(
            text.check_id,
            f"{text.label}: the terminal response's copy differs from output_item.done "
            f"({_first_difference(reference, final)})",
            event_ptr(terminal_index, "response", "output", item.output_index),
        )



def as_object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (the schema checks report the shape)."""
    return value if isinstance(value, dict) else {}


def content_check(part_type: Any) -> tuple[str, str]:
    for kind, text_field, check_id in CONTENT_STREAMS.values():
        if kind == part_type:
            return check_id, text_field
    return ASSEMBLY_TEXT, "text"



def _text_sources(text: StreamedText) -> list[tuple[str, Any, int | None]]:
    sources: list[tuple[str, Any, int | None]] = []
    if text.done_at is not None:
        sources.append((f"{_done_name(text)}", text.done_text, text.done_at))
    if text.closed_at is not None:
        noun = "reasoning_summary_part.done" if text.kind == "summary_text" else "content_part.done"
        sources.append((noun, text.part_text, text.closed_at))
    return sources


def _done_name(text: StreamedText) -> str:
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
