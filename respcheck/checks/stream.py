"""Checks: a streamed response's items and what their deltas assemble to, and its delivery.

The framing and envelope are ``stream_framing``, the event order and lifecycle ``stream_order``.
Each check is one pass over the events. The events with a typed JSON payload are listed
once per exchange (``common.typed_events``), and the item state machine and the assembly
rules share a single walk (``stream_items.walk``); both are computed once for the exchange
being judged (``common.per_exchange``), so the dozen checks built on the walk cost one pass
together.

Namespaces: ``sse.*`` judges the byte stream (found by the parser), ``stream.*`` the
Responses events carried in it. Rules come from the OpenAI OpenAPI description
(``ResponseStreamEvent`` and its members), the Open Responses specification, and what
openai-python's ``ResponseStream`` relies on (``lib/streaming/responses/_responses.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from respcheck.checks import stream_assembly, stream_items
from respcheck.checks.common import (
    STREAM_ENDPOINTS,
    per_exchange,
    responses_stream,
)
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange, SSEEvent
from respcheck.findings import Severity

# A stream is "buffered" when the whole of it, with at least _BUFFERED_MIN_DELTAS deltas, arrives
# inside _BURST seconds, after a wait long enough to show the server was generating meanwhile: at
# least _MIN_WAIT seconds and _BURST_RATIO times the burst. A fast server (the reference target with
# no latency answers in ~50 ms, all events in ~1 ms) is not evidence of buffering, so the wait must be
# long. Only deltas count: the lifecycle events around them come in clumps anyway, and a few deltas
# of a short answer close together are what a busy relay's event loop makes of a streamed answer
# too (seen on LiteLLM's pass-through under load: 3 deltas and 12 lifecycle events in 1 ms).
_BUFFERED_MIN_DELTAS = 10
_BURST = 0.010
_BURST_RATIO = 20
_MIN_WAIT = 0.5


# The item state machine and assembly rules of one stream, walked once for all their checks.
_walk = per_exchange(stream_items.walk)


# -- items and assembly (one shared walk) ----------------------------------------------------------


def _walk_check(check_id: str, clause: str, summary: str) -> None:
    def from_walk(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
        if responses_stream(ex):
            yield from _walk(ex).get(check_id, ())

    from_walk.__name__ = check_id.replace(".", "_")
    check(check_id, clause=clause, summary=summary, applies="stream", endpoints=STREAM_ENDPOINTS)(from_walk)


_WALK_CHECKS = {
    stream_assembly.ITEM_ORDER: (
        "OpenAI API, streaming: response.output_item.added opens an item before any of its events; "
        "response.output_item.done is its last, and every item is done before the terminal event "
        "(warning only when the terminal response still lists the item, as OpenAI's own "
        "mcp_list_tools items do)",
        "output items are opened before use and closed last, before the terminal event",
    ),
    stream_assembly.ITEM_INDEX: (
        "OpenAI API, streaming: output_index counts the response's output items from 0, without gaps",
        "output_item.added indexes run 0, 1, 2, ...",
    ),
    stream_assembly.ITEM_CONSISTENT: (
        "OpenAI API, streaming: an item's events agree on item_id / output_index, and text events "
        "target parts of the matching type",
        "item_id, output_index and part types agree across an item's events",
    ),
    stream_assembly.PART_ORDER: (
        "OpenAI API, streaming: content_part.added (reasoning_summary_part.added) opens a part before "
        "its deltas; the part's .done follows its deltas; content_index / summary_index count from 0",
        "content and summary parts open before their deltas and close after them",
    ),
    stream_assembly.ASSEMBLY_TEXT: (
        "openai-python ResponseStream: concatenated output_text deltas == output_text.done text == "
        "content_part.done text == the item in output_item.done == the final response's output",
        "output_text deltas assemble to the same text everywhere",
    ),
    stream_assembly.ASSEMBLY_REFUSAL: (
        "OpenAI API, streaming: concatenated refusal deltas == refusal.done == content_part.done == "
        "output_item.done == the final response",
        "refusal deltas assemble to the same refusal everywhere",
    ),
    stream_assembly.ASSEMBLY_REASONING_TEXT: (
        "OpenAI API, streaming: concatenated reasoning_text deltas == reasoning_text.done == "
        "content_part.done == output_item.done == the final response",
        "reasoning_text deltas assemble to the same text everywhere",
    ),
    stream_assembly.ASSEMBLY_SUMMARY: (
        "OpenAI API, streaming: concatenated reasoning_summary_text deltas == reasoning_summary_text.done "
        "== reasoning_summary_part.done == output_item.done == the final response",
        "reasoning summary deltas assemble to the same text everywhere",
    ),
    stream_assembly.ASSEMBLY_ARGUMENTS: (
        "openai-python ResponseStream: concatenated function_call_arguments deltas == "
        "function_call_arguments.done == the item in output_item.done == the final response",
        "function-call argument deltas assemble to the same arguments everywhere",
    ),
    stream_assembly.ASSEMBLY_TOOL_INPUT: (
        "OpenAI API, streaming: custom_tool_call_input / mcp_call_arguments / code_interpreter_call_code "
        "deltas == their .done == output_item.done == the final response",
        "tool input deltas (custom tool, MCP, code interpreter) assemble consistently",
    ),
    stream_assembly.FINAL_OUTPUT: (
        "openai-python ResponseStream: the terminal response's output holds the streamed items, with "
        "the same ids in the same order",
        "the terminal response lists the streamed items",
    ),
}

for _id, (_clause, _summary) in _WALK_CHECKS.items():
    _walk_check(_id, _clause, _summary)


# -- delivery ---------------------------------------------------------------------------------------


@check(
    "stream.buffered",
    severity=Severity.WARNING,
    clause="OpenAI API, streaming: events are sent as they are generated (a relay must not buffer "
    "the stream and release it at once); judged only with arrival times: the whole stream, >= 10 "
    "deltas in it, within 10 ms after a wait of >= 0.5 s",
    summary="events arrive incrementally, not in one burst after a long wait (live traffic only)",
    applies="stream",
    endpoints=STREAM_ENDPOINTS,
)
def not_buffered(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    events = ex.events or []
    if not responses_stream(ex) or len(events) < _BUFFERED_MIN_DELTAS:
        return
    times = [e.arrived_at for e in events if e.arrived_at is not None]
    if len(times) < len(events):
        return  # recordings keep no arrival times: nothing to judge
    first, last = min(times), max(times)
    burst = last - first
    if burst <= _BURST and first >= max(_MIN_WAIT, _BURST_RATIO * burst):
        deltas = sum(_is_delta(e) for e in events)
        if deltas >= _BUFFERED_MIN_DELTAS:
            yield Violation(
                f"all {len(events)} events ({deltas} of them deltas) arrived within {burst * 1000:.1f} ms, "
                f"{first:.2f} s after the request: the relay buffered the whole stream and sent it at "
                "once, so clients see no incremental output",
                "/response/events",
            )


def _is_delta(event: SSEEvent) -> bool:
    return (event.type or "").endswith(".delta")
