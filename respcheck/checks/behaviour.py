"""Checks: behaviour that shows only against the request, or across the calls of one scenario.

Per-message checks see a well-formed answer; these see whether it answers *the request*:
a stream nobody asked for, an id that does not round-trip, a flag accepted and ignored, a
model that changes between the calls about one response, a cancel refused while the
response runs. A relay must honour a parameter or refuse it (a 4xx naming it); accepting
and ignoring it is an error.

The sequence checks (``scope="sequence"``) read the ordered exchanges of one scenario: a
live test's calls, or one recording file (a cassette keeps its calls in order). They judge
only what the sequence shows: a retrieve of an id no exchange created is not judged.

Decisions recorded here:
- ``usage.at_limit`` is a warning: a model can stop exactly at max_output_tokens by chance.
- ``lifecycle.cancel`` fires only when the scenario last saw the response queued or in
  progress before the cancel; a response that finished in between may refuse (400) rightly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from respcheck.checks.common import (
    RESPONSE_ENDPOINTS,
    at,
    body_ptr,
    final_response,
    is_success,
    kept_per_exchange,
    path_response_id,
    response_objects,
)
from respcheck.checks.registry import CheckContext, SequenceState, Violation, check, once_per_fault
from respcheck.checks.response import UNFINISHED_STATUSES
from respcheck.checks.usage import is_count, names_in, usages_with_limit
from respcheck.exchange import Exchange
from respcheck.findings import Severity
from respcheck.jsontypes import shown

# -- against the request --------------------------------------------------------------------------


def stream_requested(ex: Exchange) -> bool | None:
    """Whether the request asked for a stream (None: the recording kept no request body, or its
    ``stream`` was not a boolean: accepting ``"true"`` is the error suite's finding, not this one's)."""
    if ex.endpoint == "create":
        body = ex.request.body
        if not isinstance(body, dict) or not isinstance(body.get("stream", False), bool):
            return None
        return body.get("stream") is True
    return str(ex.request.query.get("stream", "")).lower() == "true"


@check(
    "stream.unrequested",
    clause="OpenAI API, CreateResponse.stream / GET ?stream: a stream is sent only when asked for "
    "(stream: true); otherwise the answer is one JSON Response",
    summary="a request without stream: true (or ?stream=true) is not answered with SSE",
    applies="stream",
    endpoints=("create", "retrieve"),
)
def unrequested_stream(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if is_success(ex) and stream_requested(ex) is False:
        asked = "stream: false" if _sent(ex, "stream") else "no stream parameter"
        yield Violation(
            f"the request had {asked} but was answered with a text/event-stream of "
            f"{len(ex.events or ())} events: the official SDKs then return a raw string instead of "
            "a Response object",
            "/response/events",
        )


def _sent(ex: Exchange, field: str) -> bool:
    return isinstance(ex.request.body, dict) and field in ex.request.body


@check(
    "response.id.round_trip",
    clause="OpenAI API: GET/cancel /responses/{id} answer that response; DELETE answers its id; a "
    "Response echoes the previous_response_id it was created with",
    summary="ids round-trip: retrieve/cancel/delete answer the id in the path, previous_response_id "
    "is echoed as sent",
    endpoints=("create", "retrieve", "cancel", "delete"),
)
@once_per_fault
def ids_round_trip(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if not is_success(ex):
        return
    if ex.endpoint == "create":
        yield from _previous_id_echo(ex)
        return
    asked_for = path_response_id(ex.request.path)
    if ex.endpoint == "delete":
        body = ex.body if isinstance(ex.body, dict) else {}
        if "id" in body and body["id"] != asked_for:
            yield Violation(
                f"DELETE of {asked_for!r} answered id {shown(body['id'])}; the answer names the deleted "
                "response, and a client that checks it believes another response is gone",
                body_ptr("id"),
            )
        return
    for response, ptr in response_objects(ex):
        value = response.get("id")
        if isinstance(value, str) and value != asked_for:
            yield Violation(
                f"{ex.request.method} {ex.request.path} answered with response {shown(value)}; it must "
                f"be the response the path names ({asked_for!r})",
                at(ptr, "id"),
            )


def _previous_id_echo(ex: Exchange) -> Iterator[Violation]:
    body = ex.request.body
    sent = body.get("previous_response_id") if isinstance(body, dict) else None
    if not isinstance(sent, str):
        return
    for response, ptr in response_objects(ex):
        got = response.get("previous_response_id")
        if got is not None and got != sent:  # dropped (null) is response.echo's warning
            yield Violation(
                f"the request continued {sent!r} but the Response says previous_response_id "
                f"{shown(got)}: the relay chained another conversation (or rewrote the id)",
                at(ptr, "previous_response_id"),
            )


@check(
    "request.background",
    clause="OpenAI API, CreateResponse.background: true runs the response in the background (the "
    "create answers queued/in_progress with background: true); a relay honours it or refuses it (4xx)",
    summary="background: true is honoured (the Response says background: true), not answered synchronously",
    endpoints=("create",),
)
def background_honoured(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    body = ex.request.body
    if not is_success(ex) or not isinstance(body, dict) or body.get("background") is not True:
        return
    found = final_response(ex)
    if found is None:
        return
    response, ptr = found
    if response.get("background") is not True:
        status = response.get("status")
        yield Violation(
            f"the request set background: true but the Response says background "
            f"{shown(response.get('background'))} (status {shown(status)}): the relay ran it in the "
            "foreground; clients that poll or cancel it get nothing to poll. Honour the flag or refuse "
            "it with a 400 naming it",
            at(ptr, "background"),
        )


@check(
    "usage.at_limit",
    severity=Severity.WARNING,
    clause="openai: a response cut at max_output_tokens is status incomplete (incomplete_details.reason "
    "max_output_tokens); completed with output_tokens == max_output_tokens is likely truncation "
    "reported as success (a warning: a model can stop exactly there)",
    summary="a completed response did not use exactly max_output_tokens output tokens",
    endpoints=RESPONSE_ENDPOINTS,
)
@once_per_fault
def completed_at_limit(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    for usage, ptr, response, limit in usages_with_limit(ex):
        if response.get("status") != "completed":
            continue
        used = usage.get(names_in(usage, ctx).output)
        if is_count(limit) and used == limit:
            yield Violation(
                f"the response is completed with output_tokens = max_output_tokens = {limit}: the "
                "output was most likely cut at the limit, which OpenAI reports as status incomplete "
                "(incomplete_details.reason max_output_tokens)",
                at(ptr, "output_tokens"),
            )


# -- across the calls of one scenario -------------------------------------------------------------


@kept_per_exchange  # every sequence check reads it for every exchange of the scenario
def _responses_in(ex: Exchange) -> tuple[tuple[dict[str, Any], str], ...]:
    """The Response objects of an exchange that name their id (a 2xx answer)."""
    if not is_success(ex):
        return ()
    return tuple((response, ptr) for response, ptr in response_objects(ex)
                 if isinstance(response.get("id"), str))


@check(
    "lifecycle.store_false",
    clause="OpenAI API, CreateResponse.store: false — the response is not stored, so retrieving it "
    "answers 404; a relay honours the flag or refuses it",
    summary="a response created with store: false is not retrievable",
    endpoints=("retrieve",),
    scope="sequence",
)
class StoreFalseNotRetrievable(SequenceState):
    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        self.unstored: dict[str, int] = {}  # response id -> index of the create that said store: false

    def see(self, ex: Exchange, index: int) -> Iterator[Violation]:
        body = ex.request.body
        if ex.endpoint == "create" and isinstance(body, dict) and body.get("store") is False:
            for response, _ in _responses_in(ex):
                self.unstored.setdefault(response["id"], index)
        elif ex.endpoint == "retrieve" and is_success(ex):
            created = self.unstored.get(path_response_id(ex.request.path) or "")
            if created is not None:
                yield Violation(
                    f"{ex.request.method} {ex.request.path} answered {ex.status}, but exchange {created} "
                    "created that response with store: false: the relay stored it anyway (data the "
                    "caller asked not to keep); it must answer 404, or refuse store: false",
                    "/response/status",
                    exchange=index,
                )


@check(
    "lifecycle.model",
    clause="OpenAI API: one response has one model: response.created, the terminal event and "
    "every retrieve of it name the same model",
    summary="the model of a response does not change between its events and its retrieves",
    endpoints=RESPONSE_ENDPOINTS,
    scope="sequence",
)
class ModelIsStable(SequenceState):
    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        self.first_seen: dict[str, tuple[str, int, str]] = {}  # response id -> (model, exchange, where)

    def see(self, ex: Exchange, index: int) -> Iterator[Violation]:
        first_seen = self.first_seen
        reported: set[str] = set()
        for response, ptr in _responses_in(ex):
            model = response.get("model")
            rid = response["id"]
            if not isinstance(model, str) or not model:
                continue  # response.model reports it
            if rid not in first_seen:
                first_seen[rid] = (model, index, ptr)
                continue
            was, where, first_ptr = first_seen[rid]
            if model != was and rid not in reported:
                reported.add(rid)
                seen = "earlier in this stream" if where == index else f"in exchange {where}"
                yield Violation(
                    f"response {rid} names model {model!r} here but {was!r} {seen} ({first_ptr}): the "
                    "relay switched models mid-response (or rewrites the name in some answers only)",
                    at(ptr, "model"),
                    exchange=index,
                )


@check(
    "lifecycle.cancel",
    clause="OpenAI API, POST /responses/{id}/cancel: a background response that is queued or in "
    "progress is cancelled (200, status cancelled)",
    summary="a cancel of a running background response is neither refused (4xx) nor answered with the "
    "response still running",
    endpoints=("cancel",),
    scope="sequence",
)
class CancelWhileRunning(SequenceState):
    """A refused cancel is reported in ``end``: its message says how the response went on after it."""

    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        self.last_status: dict[str, tuple[Any, int]] = {}  # response id -> (status last seen, exchange)
        self.refused: list[tuple[str, int, int]] = []  # (response id, exchange, status) of a refused cancel

    def see(self, ex: Exchange, index: int) -> Iterator[Violation]:
        if ex.endpoint == "cancel" and ex.status is not None and 400 <= ex.status < 500:
            rid = path_response_id(ex.request.path) or ""
            status, _ = self.last_status.get(rid, (None, -1))
            if status in UNFINISHED_STATUSES:
                self.refused.append((rid, index, ex.status))
        elif ex.endpoint == "cancel":
            yield from _cancel_answered_running(ex, index)
        for response, _ in _responses_in(ex):
            self.last_status[response["id"]] = (response.get("status"), index)

    def end(self) -> Iterator[Violation]:
        for rid, index, answered in self.refused:
            status, seen_at = self.last_status[rid]
            after = (
                f"; it then ran to completion (status {status!r} in exchange {seen_at})"
                if seen_at > index and status not in UNFINISHED_STATUSES
                else ""
            )
            yield Violation(
                f"the cancel of {rid} was answered {answered} while the response was still "
                f"running (last seen queued or in progress){after}: a relay must cancel a running background "
                "response, or refuse background mode up front",
                "/response/status",
                exchange=index,
            )



# Whether an endpoint addresses one stored response by id (the path names it).
_BY_ID = ("retrieve", "input_items", "delete", "cancel")


@check(
    "lifecycle.deleted",
    clause="OpenAI API, DELETE /responses/{id}: the response is gone; retrieve, input_items, delete and "
    "cancel of its id then answer 404",
    summary="after a successful delete, every call on that id answers 404 (not 200, not a 5xx)",
    endpoints=_BY_ID,
    scope="sequence",
)
class DeletedIsGone(SequenceState):
    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        self.deleted: dict[str, int] = {}  # response id -> the exchange whose 2xx delete removed it

    def see(self, ex: Exchange, index: int) -> Iterator[Violation]:
        rid = path_response_id(ex.request.path) if ex.endpoint in _BY_ID else None
        if not rid:
            return
        gone_at = self.deleted.get(rid)
        if gone_at is not None and ex.status != 404:
            still = "still answers" if is_success(ex) else "answers"
            yield Violation(
                f"{ex.request.method} {ex.request.path} {still} {ex.status} after exchange {gone_at} deleted "
                f"{rid}: a deleted response is gone, so every call on its id answers 404"
                + (" (the delete did nothing, or a cache serves it)" if is_success(ex) else ""),
                "/response/status",
                exchange=index,
            )
        if ex.endpoint == "delete" and is_success(ex):
            self.deleted.setdefault(rid, index)


# Fields a retrieve of a finished response gives back exactly as its create answered them.
_STABLE_FIELDS = ("id", "object", "created_at", "status", "model", "output", "instructions", "metadata",
                  "usage")


@check(
    "lifecycle.retrieve_matches_create",
    clause="OpenAI API, GET /responses/{id}: the stored Response, as the create answered it once finished",
    summary="a retrieve of a finished response answers the fields its create answered, unchanged",
    endpoints=("retrieve",),
    scope="sequence",
)
class RetrieveMatchesCreate(SequenceState):
    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(ctx)
        # response id -> the finished Response a create answered, and that create's exchange
        self.created: dict[str, tuple[dict[str, Any], int]] = {}

    def see(self, ex: Exchange, index: int) -> Iterator[Violation]:
        if ex.endpoint == "create" and is_success(ex):
            found = final_response(ex)
            if found is not None and found[0].get("status") not in UNFINISHED_STATUSES:
                self.created.setdefault(str(found[0].get("id")), (found[0], index))
        elif ex.endpoint == "retrieve" and ex.events is None and is_success(ex) and isinstance(ex.body, dict):
            first = self.created.get(path_response_id(ex.request.path) or "")
            if first is None:
                return
            response, made_at = first
            changed = [f for f in _STABLE_FIELDS if f in response and ex.body.get(f) != response[f]]
            if changed:
                field = changed[0]
                yield Violation(
                    f"the retrieve answers {field} {shown(ex.body.get(field))} where exchange {made_at}'s "
                    f"create answered {shown(response[field])}"
                    + (f" (also changed: {', '.join(changed[1:])})" if changed[1:] else "")
                    + ": a stored response comes back as it was created",
                    body_ptr(field),
                    exchange=index,
                )


def _cancel_answered_running(ex: Exchange, index: int) -> Iterator[Violation]:
    """A 2xx cancel whose Response is still queued or in progress: the cancel changed nothing."""
    for response, ptr in _responses_in(ex):
        if response.get("status") in UNFINISHED_STATUSES:
            yield Violation(
                f"the cancel was answered {ex.status} with the response still {response.get('status')!r}: a "
                "cancel answers the cancelled response (status cancelled); this one was acknowledged and "
                "nothing was cancelled",
                at(ptr, "status"),
                exchange=index,
            )
