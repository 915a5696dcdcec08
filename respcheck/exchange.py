"""The Exchange: one request and what came back, live or recorded.

Everything respcheck judges is an Exchange. Checks read it and never do I/O.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any

# Which Responses API endpoint a request hit, from its method and path.
ENDPOINTS = (
    "create",
    "retrieve",
    "cancel",
    "delete",
    "input_items",
    "input_tokens",
    "compact",
    "chat_completions",
    "unknown",
)


@dataclass(slots=True)
class SSEEvent:
    """One server-sent event as it arrived."""

    index: int
    event: str | None
    raw_data: str | None  # the ``data:`` text as received; None when only the parsed JSON is known
    json: Any = None  # parsed ``data``; None when it is not JSON (see ``json_error``)
    json_error: str | None = None
    id: str | None = None
    retry: int | None = None
    arrived_at: float | None = None  # seconds since the request was sent

    @property
    def data(self) -> str:
        """The ``data:`` text (re-serialised on demand for recordings that kept only the JSON)."""
        if self.raw_data is None:
            self.raw_data = _json.dumps(self.json, separators=(",", ":"), ensure_ascii=False)
        return self.raw_data

    @property
    def is_done_marker(self) -> bool:
        return self.json is None and self.raw_data == "[DONE]"

    @property
    def type(self) -> str | None:
        if isinstance(self.json, dict):
            value = self.json.get("type")
            return value if isinstance(value, str) else None
        return None


@dataclass(slots=True)
class FramingIssue:
    """A problem in the SSE byte stream itself (found by the parser, judged by a check)."""

    # invalid_utf8, unterminated_block, dataless_block, bad_retry or unknown_field (sse.framing.*)
    kind: str
    detail: str
    event_index: int | None = None


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(slots=True)
class Exchange:
    """A request and its response: a JSON body or an ordered list of SSE events."""

    id: str
    request: Request
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    # False when the recording kept no response headers (a VCR cassette or HAR entry without
    # them): a header missing from ``headers`` is then unknown, not absent on the wire.
    headers_recorded: bool = True
    body: Any = None  # parsed JSON body; None when streamed or not JSON
    body_text: str | None = None  # raw body when it was not JSON
    events: list[SSEEvent] | None = None
    framing: list[FramingIssue] = field(default_factory=list)
    provider: str | None = None
    notes: list[str] = field(default_factory=list)
    elapsed: float | None = None  # seconds until the response ended
    broken: str | None = None  # why the exchange could not complete (timeout, reset...)
    _endpoint: str | None = field(default=None, repr=False, compare=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        """The content type without its parameters, lower-cased (``text/event-stream``)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def streamed(self) -> bool:
        return self.events is not None

    @property
    def endpoint(self) -> str:
        # Every check asks; classify once (an exchange's request does not change once judged).
        if self._endpoint is None:
            self._endpoint = endpoint_of(self.request.method, self.request.path)
        return self._endpoint

    @property
    def starting_after(self) -> int | None:
        value = self.request.query.get("starting_after")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def json_events(self) -> list[SSEEvent]:
        """The events whose data parsed as a JSON object (the ``[DONE]`` marker excluded)."""
        if not self.events:
            return []
        return [e for e in self.events if isinstance(e.json, dict)]


def endpoint_of(method: str, path: str) -> str:
    """Classify a request by method and path (any prefix before ``/responses`` is a base path)."""
    method = method.upper()
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat_completions"
    marker = "/responses"
    at = path.rfind(marker)
    if at < 0:
        return "unknown"
    tail = path[at + len(marker) :].strip("/")
    parts = tail.split("/") if tail else []
    if not parts:
        return "create" if method == "POST" else "unknown"
    if parts == ["input_tokens"]:
        return "input_tokens" if method == "POST" else "unknown"
    if parts == ["compact"]:
        return "compact" if method == "POST" else "unknown"
    if len(parts) == 1:
        return {"GET": "retrieve", "DELETE": "delete"}.get(method, "unknown")
    if len(parts) == 2 and parts[1] == "cancel" and method == "POST":
        return "cancel"
    if len(parts) == 2 and parts[1] == "input_items" and method == "GET":
        return "input_items"
    return "unknown"
