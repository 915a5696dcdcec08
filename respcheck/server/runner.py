"""One response's life: generate its events in order, keep the Response up to date, store it.

Every create, streamed or not, runs as a ``ResponseRun``: it produces the full event
sequence (the same events a stream shows, so a stored response can be replayed with
``starting_after``), appending each to ``events``. Stream readers ``follow`` the run;
JSON callers wait for it to finish. Background runs are paced by ``latency`` so that
cancel can catch them in flight.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from respcheck.server import events as ev
from respcheck.server import resource, tokens
from respcheck.server.model import Reply, Turn, reply
from respcheck.server.params import CreateParams, new_id
from respcheck.server.store import Store

TERMINAL_STATUSES = frozenset({"completed", "incomplete", "failed", "cancelled"})


class ResponseRun:
    def __init__(
        self,
        params: CreateParams,
        conversation: list[dict[str, Any]],
        input_tokens: int,
        store: Store | None,
        latency: float = 0.0,
    ) -> None:
        self.params = params
        self.conversation = conversation  # prior turns + this request's input, oldest first
        self.input_tokens = input_tokens
        self.store = store if params.store else None
        self.latency = latency
        status = "queued" if params.background else "in_progress"
        self.response = resource.base_response(params, new_id("resp"), int(time.time()), status)
        self.events: list[ev.Event] = []
        self.finished = False
        self._cancel_requested = False
        self._reasoning_tokens = 0
        self._changed = asyncio.Condition()

    @property
    def id(self) -> str:
        return self.response["id"]

    # ------------------------------------------------------------ driving

    def save_initial(self) -> None:
        """Store the response and its input items before anything runs (so they are listable at once)."""
        if self.store is not None:
            self.store.save_response(self.response, self.params.input_items)

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
                    and self.latency > 0
                    and (ev.is_delta(event) or event["type"] == "response.in_progress")
                ):
                    await asyncio.sleep(self.latency)
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
            if self.finished:
                return
            async with self._changed:
                if index >= len(self.events) and not self.finished:
                    await self._changed.wait()

    async def cancel(self) -> dict[str, Any]:
        """Stop a queued or in-progress run: status ``cancelled``, stored at once."""
        if not self.finished and self.response["status"] not in TERMINAL_STATUSES:
            self._cancel_requested = True
            self.response["status"] = "cancelled"
            await self._finish()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.response)

    async def _emit(self, event: ev.Event) -> None:
        self.events.append(ev.sequenced(event, len(self.events)))
        async with self._changed:
            self._changed.notify_all()

    async def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.store is not None:
            self.store.save_response(self.response, None, self.events)
        async with self._changed:
            self._changed.notify_all()

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
        planned = reply(self._turn(), self.params.spec)
        budget = _Budget(self.params.max_output_tokens)
        if planned.summary is not None:
            yield from self._reasoning(planned, budget)
        if planned.text is not None and not budget.exhausted:
            yield from self._message(planned.text, budget)
        calls = planned.calls
        if self.params.max_tool_calls is not None:
            calls = calls[: self.params.max_tool_calls]
        for call in calls:
            if not budget.take_whole(tokens.count(call.arguments)):
                break
            yield from self._function_call(call.name, call.arguments)
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

    @property
    def _obfuscate(self) -> bool:
        return self.params.include_obfuscation

    def _reasoning(self, planned: Reply, budget: _Budget) -> Iterator[ev.Event]:
        index = len(self.response["output"])
        item_id = new_id("rs")
        encrypted = "reasoning.encrypted_content" in self.params.include
        before = budget.used
        budget.take(planned.reasoning_tokens)
        yield ev.output_item_added(index, resource.reasoning_item(item_id, [], encrypted))
        done: list[str] = []
        for summary_index, text in enumerate(planned.summary or []):
            if budget.exhausted:
                break
            yield ev.reasoning_summary_part_added(item_id, index, summary_index, "")
            pieces = budget.take_pieces(tokens.split_tokens(text))
            for piece in pieces:
                yield ev.reasoning_summary_text_delta(item_id, index, summary_index, piece, self._obfuscate)
            emitted = "".join(pieces)
            yield ev.reasoning_summary_text_done(item_id, index, summary_index, emitted)
            yield ev.reasoning_summary_part_done(item_id, index, summary_index, emitted)
            done.append(emitted)
        self._reasoning_tokens = budget.used - before
        item = resource.reasoning_item(item_id, done, encrypted)
        self.response["output"].append(item)
        yield ev.output_item_done(index, item)

    def _message(self, text: str, budget: _Budget) -> Iterator[ev.Event]:
        index = len(self.response["output"])
        item_id = new_id("msg")
        yield ev.output_item_added(index, resource.message_item(item_id, "in_progress", None))
        yield ev.content_part_added(item_id, index, 0, resource.output_text_part(""))
        pieces = budget.take_pieces(tokens.split_tokens(text))
        for piece in pieces:
            yield ev.output_text_delta(item_id, index, 0, piece, self._obfuscate)
        emitted = "".join(pieces)
        yield ev.output_text_done(item_id, index, 0, emitted)
        yield ev.content_part_done(item_id, index, 0, resource.output_text_part(emitted))
        item = resource.message_item(item_id, "incomplete" if budget.cut else "completed", emitted)
        self.response["output"].append(item)
        yield ev.output_item_done(index, item)

    def _function_call(self, name: str, arguments: str) -> Iterator[ev.Event]:
        index = len(self.response["output"])
        item_id, call_id = new_id("fc"), new_id("call")
        yield ev.output_item_added(
            index, resource.function_call_item(item_id, "in_progress", call_id, name, "")
        )
        for piece in tokens.split_tokens(arguments):
            yield ev.function_call_arguments_delta(item_id, index, piece, self._obfuscate)
        yield ev.function_call_arguments_done(item_id, index, name, arguments)
        item = resource.function_call_item(item_id, "completed", call_id, name, arguments)
        self.response["output"].append(item)
        yield ev.output_item_done(index, item)

    def _conclude(self, budget: _Budget) -> None:
        response = self.response
        response["status"] = "incomplete" if budget.cut else "completed"
        response["completed_at"] = int(time.time()) if not budget.cut else None
        if budget.cut:
            response["incomplete_details"] = {"reason": "max_output_tokens"}
        response["usage"] = resource.usage(self.input_tokens, budget.used, self._reasoning_tokens)


class _Budget:
    """``max_output_tokens``: every generated token (reasoning included) counts against it."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self.cut = False

    @property
    def exhausted(self) -> bool:
        return self.cut

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
