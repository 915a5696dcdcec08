"""Small helpers the check modules share: where the Response object is, JSON pointers, and
what several checks read from one exchange (computed once per exchange: ``per_exchange``).

Pointers are rooted at the exchange record (the JSONL format), so a finding's location
reads the same in a recording, a HAR and a report: ``/response/body/usage``,
``/response/events/7/data/sequence_number``, ``/request/body/max_output_tokens``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from respcheck import jsonpointer
from respcheck.exchange import Exchange, SSEEvent

T = TypeVar("T")

TERMINAL_EVENTS = ("response.completed", "response.failed", "response.incomplete")
# Endpoints whose 2xx body is a Response object.
RESPONSE_ENDPOINTS = frozenset({"create", "retrieve", "cancel"})
# Streams of Response events come from create (stream: true) and retrieve (?stream=true).
STREAM_ENDPOINTS = ("create", "retrieve")


def at(pointer: str, *parts: Any) -> str:
    """Extend a JSON pointer by raw (unescaped) tokens."""
    return jsonpointer.join(pointer, *parts)


def body_ptr(*parts: Any) -> str:
    return at("/response/body", *parts)


def event_ptr(index: int, *parts: Any) -> str:
    return at(f"/response/events/{index}/data", *parts)


def request_ptr(*parts: Any) -> str:
    return at("/request/body", *parts)


def path_response_id(path: str) -> str | None:
    """The ``{response_id}`` in ``.../responses/{response_id}[/cancel|/input_items]``."""
    path = path.split("?", 1)[0]
    marker = path.rfind("/responses/")
    if marker < 0:
        return None
    return path[marker + len("/responses/") :].split("/", 1)[0] or None


def is_vendor_event(event_type: str) -> bool:
    """An extension event: outside OpenAI's ``response.`` namespace and not ``error``."""
    return not (event_type.startswith("response.") or event_type == "error")


def is_success(exchange: Exchange) -> bool:
    return exchange.status is not None and 200 <= exchange.status < 300


def responses_stream(exchange: Exchange) -> bool:
    """A 2xx stream of Responses events (error statuses are the errors module's business)."""
    return exchange.events is not None and is_success(exchange)


def per_exchange(func: Callable[[Exchange], T]) -> Callable[[Exchange], T]:
    """Compute ``func(exchange)`` once for the exchange being judged, however many checks ask.

    judge() runs the checks back to back on one exchange, so a one-slot cache turns a dozen
    scans of a stream into one. The slot is keyed on the identity of the exchange, its
    events list and body, and on the event count, so another or a grown exchange misses; a
    miss (another thread in between) only costs a recomputation. Callers must not mutate
    the value: the next check reads the same one.
    """
    slot: tuple[Any, ...] = (None, None, -2, None, None)  # matches no exchange

    @wraps(func)
    def once(exchange: Exchange) -> T:
        nonlocal slot
        memo = slot  # read once: another thread may replace it
        events = exchange.events
        if (
            memo[0] is exchange
            and memo[1] is events
            and memo[3] is exchange.body
            and memo[2] == (len(events) if events is not None else -1)
        ):
            return memo[4]
        count = len(events) if events is not None else -1
        value = func(exchange)
        slot = (exchange, events, count, exchange.body, value)
        return value

    return once


def kept_per_exchange(func: Callable[[Exchange], T]) -> Callable[[Exchange], T]:
    """Compute ``func(exchange)`` once per exchange, kept while the exchange lives.

    ``per_exchange`` keeps only the last exchange's value, which suits judge(); a sequence check
    reads every exchange of the scenario, and a live run asks it again after each new exchange
    (200 generated requests: 20,000 reads), so each exchange's value is kept, keyed on the
    exchange's identity (held weakly: the entry goes with the exchange), its events list, event
    count and body, as ``per_exchange`` does. Callers must not mutate the value.
    """
    kept: dict[int, tuple[Any, ...]] = {}

    @wraps(func)
    def remembered(exchange: Exchange) -> T:
        events = exchange.events
        count = len(events) if events is not None else -1
        entry = kept.get(id(exchange))
        if (
            entry is not None
            and entry[0]() is exchange
            and entry[1] is events
            and entry[2] == count
            and entry[3] is exchange.body
        ):
            return entry[4]
        value = func(exchange)
        key = id(exchange)

        def forget(_: object) -> None:  # the exchange is gone: so is its entry
            kept.pop(key, None)

        kept[key] = (weakref.ref(exchange, forget), events, count, exchange.body, value)
        return value

    return remembered


@per_exchange
def response_objects(exchange: Exchange) -> tuple[tuple[dict[str, Any], str], ...]:
    """Every Response object in the exchange, with its pointer.

    A JSON body of create/retrieve/cancel is one; in a stream, every event that carries a
    ``response`` (created, in_progress, queued, and the terminal event) is one.
    """
    if exchange.events is None:
        if (
            exchange.endpoint in RESPONSE_ENDPOINTS
            and is_success(exchange)
            and isinstance(exchange.body, dict)
        ):
            return ((exchange.body, body_ptr()),)
        return ()
    return stream_view(exchange).responses


# An event whose data is a JSON object with a string ``type``: (the event, its data, the type).
TypedEvent = tuple[SSEEvent, dict[str, Any], str]


@dataclass(frozen=True, slots=True)
class StreamView:
    """What the stream checks read from a stream's events, gathered in one pass for all of them.

    A stream is mostly deltas; each envelope check looking through every event itself made a dozen
    passes of one stream. Lists hold the few events a check reports on, in stream order.
    """

    typed: tuple[TypedEvent, ...]  # the events whose data is an object with a string type
    positions: dict[str, list[int]]  # event type -> its positions in ``typed``
    not_json: tuple[SSEEvent, ...]  # data that did not parse as JSON (the [DONE] marker aside)
    not_objects: tuple[SSEEvent, ...]  # JSON data that is not an object, or one without a string type
    unnamed: tuple[int, ...]  # indexes of typed events without an event: line
    misnamed: tuple[tuple[SSEEvent, str], ...]  # typed events whose event: name is not their type
    first_done: SSEEvent | None  # the first [DONE] marker
    responses: tuple[tuple[dict[str, Any], str], ...]  # each Response an event carries, with its pointer
    # The objects of events that hold a ``CARRIERS`` key, with their event index (schema.recently_required)
    carriers: tuple[tuple[dict[str, Any], int], ...]
    numbering: Numbering


@dataclass(frozen=True, slots=True)
class Numbering:
    """The stream's sequence numbers, as the stream.sequence_number checks judge them.

    The numbered events are the typed ones, except a relay's own vendor-prefixed event without a
    sequence_number: that one is outside OpenAI's numbering (clients skip unknown events); one that
    carries a number takes part, so numbering vendor events in line is judged too.
    """

    count: int  # numbered events
    first: TypedEvent | None  # the first numbered event
    unnumbered: tuple[int, ...]  # indexes of numbered events without an integer sequence_number
    # (event index, the previous integer sequence_number, its own) where it did not rise by exactly 1
    faults: tuple[tuple[int, int, int], ...]


# Keys of an event that may hold an object a spec-evolution rule is about (schema.recently_required).
CARRIERS = frozenset({"response", "item", "part", "usage", "output"})


@per_exchange
def stream_view(exchange: Exchange) -> StreamView:
    typed: list[TypedEvent] = []
    positions: dict[str, list[int]] = {}
    not_json: list[SSEEvent] = []
    not_objects: list[SSEEvent] = []
    unnamed: list[int] = []
    misnamed: list[tuple[SSEEvent, str]] = []
    first_done: SSEEvent | None = None
    responses: list[tuple[dict[str, Any], str]] = []
    carriers: list[tuple[dict[str, Any], int]] = []
    numbered = 0
    first_numbered: TypedEvent | None = None
    unnumbered: list[int] = []
    faults: list[tuple[int, int, int]] = []
    previous: int | None = None
    for e in exchange.events or ():
        data = e.json
        if isinstance(data, dict):
            if not CARRIERS.isdisjoint(data):
                carriers.append((data, e.index))
                response = data.get("response")
                if isinstance(response, dict):
                    responses.append((response, event_ptr(e.index, "response")))
            kind = data.get("type")
            if isinstance(kind, str):
                if kind in positions:
                    positions[kind].append(len(typed))
                else:
                    positions[kind] = [len(typed)]
                item = (e, data, kind)
                typed.append(item)
                name = e.event
                if not name:
                    unnamed.append(e.index)
                elif name != kind:
                    misnamed.append((e, kind))
                seq = data.get("sequence_number")
                if type(seq) is int:  # not isinstance: a boolean is no sequence number
                    if previous is not None and seq != previous + 1:
                        faults.append((e.index, previous, seq))
                    previous = seq
                    numbered += 1
                elif "sequence_number" in data or not is_vendor_event(kind):  # else outside the numbering
                    unnumbered.append(e.index)
                    numbered += 1
                if first_numbered is None and numbered:
                    first_numbered = item
            else:
                not_objects.append(e)
        elif data is not None or (e.json_error is None and not e.is_done_marker):
            not_objects.append(e)  # JSON, but not an object (``null`` too)
        elif first_done is None and e.is_done_marker:
            first_done = e
        if e.json_error is not None and not e.is_done_marker:
            not_json.append(e)
    numbering = Numbering(numbered, first_numbered, tuple(unnumbered), tuple(faults))
    return StreamView(tuple(typed), positions, tuple(not_json), tuple(not_objects), tuple(unnamed),
                      tuple(misnamed), first_done, tuple(responses), tuple(carriers), numbering)


def typed_events(exchange: Exchange) -> tuple[TypedEvent, ...]:
    """The events whose data is a JSON object with a string ``type``, in order."""
    return stream_view(exchange).typed


def positions_by_type(exchange: Exchange) -> dict[str, list[int]]:
    """Where each event type occurs among ``typed_events`` (ascending positions in that tuple).

    Checks about a few kinds of event (lifecycle, terminal, error) look them up here instead
    of each scanning the whole stream, which is mostly deltas.
    """
    return stream_view(exchange).positions


def typed_events_of(exchange: Exchange, kinds: Iterable[str]) -> list[TypedEvent]:
    """The typed events of these types, in stream order."""
    positions = positions_by_type(exchange)
    typed = typed_events(exchange)
    return [typed[p] for p in sorted(p for kind in kinds for p in positions.get(kind, ()))]


@per_exchange
def final_response(exchange: Exchange) -> tuple[dict[str, Any], str] | None:
    """The Response the exchange ends with: the JSON body, or the terminal event's response."""
    if exchange.events is None:
        found = response_objects(exchange)
        return found[0] if found else None
    for e in reversed(exchange.events):
        if isinstance(e.json, dict) and e.json.get("type") in TERMINAL_EVENTS:
            response = e.json.get("response")
            if isinstance(response, dict):
                return response, event_ptr(e.index, "response")
    return None
