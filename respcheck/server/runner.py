"""One response's life: generate its events in order, keep the Response up to date, store it.

Every create, streamed or not, runs as a ``ResponseRun``: it produces the full event
sequence (the same events a stream shows, so a stored response can be replayed with
``starting_after``), appending each to ``events``. Stream readers ``follow`` the run;
JSON callers wait for it to finish. Background runs are paced by ``latency`` so that
cancel can catch them in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from respcheck.server import events as ev
from respcheck.server import resource, tokens
from respcheck.server.ids import new_id
from respcheck.server.model import Reply, Turn, reply
from respcheck.server.params import CreateParams
from respcheck.server.store import Store
from respcheck.server.wire import WireForm

TERMINAL_STATUSES = frozenset({"completed", "incomplete", "failed", "cancelled"})
# Background runs take at least this long per token even with no --latency, like a real
# model: a cancel sent right after create then lands while the run is still in flight.
BACKGROUND_PACE = 0.002


class ResponseRun:
    def __init__(
        self,
        params: CreateParams,
        conversation: list[dict[str, Any]],
        input_tokens: int,
        store: Store | None,
        latency: float = 0.0,
        wire: WireForm | None = None,
    ) -> None:
        self.params = params
        self.wire = wire or WireForm()
        self.conversation = conversation  # prior turns + this request's input, oldest first
        self.input_tokens = input_tokens
        self.store = store if params.store else None
        self._pace = max(latency, BACKGROUND_PACE) if params.background else latency
        status = "queued" if params.background else "in_progress"
        self.response = resource.base_response(params, new_id("resp"), int(time.time()), status)
        self.events: list[ev.Event] = []
        self.finished = False
        self.released = False  # the server is shutting down: followers stop waiting
        self._cancel_requested = False
        self._reasoning_tokens = 0
        self._saved_items = False
        self._saved_final = False
        # A stream's events are kept for resume; a plain JSON answer's stream is rebuilt on demand.
        self._keep_events = params.stream or params.background
        self._changed = asyncio.Event()  # replaced after each wake-up; followers wait on it

    @property
    def id(self) -> str:
        return self.response["id"]

    # ------------------------------------------------------------ driving

    def save_initial(self) -> None:
        """Store the response and its input items before it runs (a background run outlives requests)."""
        if self.store is not None:
            self.store.save_response(self.response, self.params.input_items)
            self._saved_items = True

    async def run(self, pace: bool) -> None:
        """Produce every event; pace deltas by ``latency`` when ``pace``."""
        if self._cancel_requested:
            return  # cancelled (or deleted) before it started
        try:
            for event in self._steps():
                if self._cancel_requested:
                    return
                if (
                    pace
                    and self._pace > 0
                    and (ev.is_delta(event) or event["type"] == "response.in_progress")
                ):
                    await asyncio.sleep(self._pace)
                    if self._cancel_requested:
                        return
                await self._emit(event)
        finally:
            await self._finish()

    async def follow(self, after: int = -1) -> AsyncIterator[ev.Event]:
        """The events with ``sequence_number > after``, live until the run ends."""
        index = after + 1
        while True:
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.finished or self.released:
                return
            await self._changed.wait()

    async def cancel(self) -> dict[str, Any]:
        """Stop a queued or in-progress run: status ``cancelled``, stored at once."""
        if not self.finished and self.response["status"] not in TERMINAL_STATUSES:
            self._cancel_requested = True
            self.response["status"] = "cancelled"
            await self._finish()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        return {**self.response, "output": list(self.response["output"])}

    async def _emit(self, event: ev.Event) -> None:
        self.events.append(ev.sequenced(event, len(self.events)))
        if event["type"] in ev.TERMINAL_EVENTS:
            # Stored (with this event) before any client hears it: a response reported finished is
            # retrievable. If storing fails, the event is withdrawn and the stream ends cut short.
            try:
                self._save_final()
            except BaseException:
                self.events.pop()
                raise
        self._wake_followers()

    def release_followers(self) -> None:
        """End every ``follow`` now (server shutdown): open streams close instead of hanging."""
        self.released = True
        self._wake_followers()

    def _wake_followers(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            if not self._saved_final:  # cancelled, or stopped before its terminal event
                self._save_final()
        finally:
            self._wake_followers()

    def _save_final(self) -> None:
        if self.store is not None:
            items = None if self._saved_items else self.params.input_items
            self.store.save_response(self.response, items, self.events if self._keep_events else None)
            self._saved_items = True
        self._saved_final = True

    # ------------------------------------------------------------ the event sequence

    def _steps(self) -> Iterator[ev.Event]:
        response = self.response
        yield ev.lifecycle("created", response)
        if self.params.background:
            yield ev.lifecycle("queued", response)
            response["status"] = "in_progress"
            if self.store is not None:
                self.store.save_response(response, None)
        yield ev.lifecycle("in_progress", response)
        budget = _Budget(self.params.max_output_tokens)
        items = self._output_items(reply(self._turn(), self.params.spec), budget)
        for index, item in enumerate(items):
            for event in ev.item_events(index, item, self.params.include_obfuscation and self._keep_events):
                if event["type"] == "response.output_item.done":
                    response["output"].append(item)
                yield event
        self._conclude(budget)
        yield ev.lifecycle("incomplete" if budget.cut else "completed", response)

    def _turn(self) -> Turn:
        params = self.params
        return Turn(
            instructions=params.instructions,
            items=self.conversation,
            tools=params.tools,
            tool_choice=params.tool_choice,
            parallel_tool_calls=params.parallel_tool_calls,
            text_format=params.text.get("format") or {"type": "text"},
            reasoning_summary=params.reasoning.get("summary"),
            reasoning_effort=params.reasoning.get("effort"),
        )

    def _output_items(self, planned: Reply, budget: _Budget) -> list[dict[str, Any]]:
        """The finished output items: the reply cut to ``max_output_tokens`` (reasoning counts)."""
        items: list[dict[str, Any]] = []
        if planned.summary is not None:
            before = budget.used
            budget.take(planned.reasoning_tokens)
            summary = []
            for text in planned.summary:
                if budget.cut:
                    break
                summary.append("".join(budget.take_pieces(tokens.split_tokens(text))))
            self._reasoning_tokens = budget.used - before
            encrypted = "reasoning.encrypted_content" in self.params.include
            items.append(resource.reasoning_item(new_id("rs"), summary, encrypted))
        if planned.text is not None and not budget.cut:
            text = "".join(budget.take_pieces(tokens.split_tokens(planned.text)))
            status = "incomplete" if budget.cut else "completed"
            logprobs = None
            if "message.output_text.logprobs" in self.params.include:
                logprobs = resource.text_logprobs(text, self.params.top_logprobs)
            items.append(resource.message_item(new_id("msg"), status, text, logprobs))
        calls = planned.calls
        if self.params.max_tool_calls is not None:
            calls = calls[: self.params.max_tool_calls]
        for call in calls:
            if not budget.take_whole(tokens.count(call.arguments)):
                break
            items.append(
                resource.function_call_item(
                    new_id("fc"), "completed", new_id("call"), call.name, call.arguments
                )
            )
        return items

    def _conclude(self, budget: _Budget) -> None:
        response = self.response
        response["status"] = "incomplete" if budget.cut else "completed"
        if response["service_tier"] == "auto":
            response["service_tier"] = "default"  # the tier that served it, as OpenAI reports
        response["completed_at"] = int(time.time()) if not budget.cut else None
        if budget.cut:
            response["incomplete_details"] = {"reason": "max_output_tokens"}
        response["usage"] = self.wire.usage(
            resource.usage(self.input_tokens, budget.used, self._reasoning_tokens)
        )


class _Budget:
    """``max_output_tokens``: every generated token (reasoning included) counts against it."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self.cut = False

    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    def take(self, count: int) -> None:
        left = self.remaining()
        if left is not None and count > left:
            self.used += left
            self.cut = True
        else:
            self.used += count

    def take_pieces(self, pieces: list[str]) -> list[str]:
        left = self.remaining()
        if left is not None and len(pieces) > left:
            self.cut = True
            pieces = pieces[:left]
        self.used += len(pieces)
        return pieces

    def take_whole(self, count: int) -> bool:
        left = self.remaining()
        if left is not None and count > left:
            self.cut = True
            return False
        self.used += count
        return True
