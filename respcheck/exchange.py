"""The Exchange: one request and what came back, live or recorded.

Everything respcheck judges is an Exchange. Checks read it and never do I/O.
"""

from __future__ import annotations

import json as _json
import math
import threading
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


@dataclass(slots=True, weakref_slot=True)  # weakly keyed: checks.common.kept_per_exchange
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
    # None when the recorder kept the response body; else why not (a browser HAR keeps none for a
    # fetch the page aborted): such a body is unknown, not empty, and is not judged
    not_recorded: str | None = None
    origin: str | None = None  # scheme://host[:port] a recording names (a HAR's URL), for repros
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


# -- JSON from a target: what respcheck parses, and what it writes -------------------------------

# Deeper than this a target's JSON is not judged (a Response nests about 10 levels; Python's parser,
# validators and serialisers recurse and give up near 1,000): a finding, not a RecursionError.
MAX_JSON_DEPTH = 64
# Integers beyond 64 bits are not read by SDKs (JavaScript loses precision past 2**53 already).
INT_LIMIT = 2**64


class JSONProblem(ValueError):
    """Text that Python's json module would read but other JSON readers cannot (the message names it)."""


def _refuse_constant(token: str) -> Any:
    raise JSONProblem(f"{token} is not a JSON number (RFC 8259 has no NaN or Infinity)")


# The parser hands each number to these as it reads it: a number no SDK can hold is refused there,
# with the message json_value_problem gives it (no scan of the text or the value afterwards).
def _bounded_int(token: str) -> int:
    value = int(token)  # raises for 4,300+ digits (parse_json names it)
    if -INT_LIMIT < value < INT_LIMIT:
        return value
    raise JSONProblem(json_value_problem(value) or "")


def _finite_float(token: str) -> float:
    value = float(token)
    if math.isfinite(value):
        return value
    raise JSONProblem(json_value_problem(value) or "")


_DECODERS = threading.local()


def _decoder() -> _json.JSONDecoder:
    """This thread's decoder with the number hooks: ``json.loads`` given hooks builds a new decoder and
    scanner at every call (~5 us, a third of parsing a stream event). One per thread: a C scanner's key
    memo is shared by its calls, and a hook can let another thread in mid-parse."""
    decoder = getattr(_DECODERS, "decoder", None)
    if decoder is None:
        decoder = _DECODERS.decoder = _json.JSONDecoder(
            parse_constant=_refuse_constant, parse_int=_bounded_int, parse_float=_finite_float)
    return decoder


def parse_json(text: str) -> Any:
    """``json.loads`` for a target's text, refusing what strict JSON readers refuse or cannot hold.

    Raises ``ValueError``: ``JSONProblem`` naming the token for NaN/Infinity, a number that
    overflows to infinity, an integer beyond 64 bits, or nesting deeper than ``MAX_JSON_DEPTH``;
    ``json.JSONDecodeError`` for text that is not JSON at all. Numbers are checked as they are read;
    the depth only when the text has more brackets than the limit (a cheap C-level count first).
    """
    if text.startswith("\ufeff"):  # as json.loads says it (the decoder alone would say "Expecting value")
        raise _json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        value = _decoder().decode(text)
    except RecursionError:
        raise JSONProblem(f"nested deeper than {MAX_JSON_DEPTH} levels (too deep to parse)") from None
    except JSONProblem:
        raise
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # int() refuses 4,300+ digits
            raise JSONProblem("an integer of more than 4,300 digits is beyond 64 bits") from None
        raise
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        problem = json_value_problem(value, numbers=False)
        if problem:
            raise JSONProblem(problem)
    return value


def json_value_problem(value: Any, *, numbers: bool = True) -> str | None:
    """Why a parsed value cannot be judged or written as JSON: too deep, a huge or non-finite number
    (``numbers=False``: only too deep, for a text that cannot hold such a number)."""
    kinds: type | tuple[type, ...] = (dict, list, int, float) if numbers else (dict, list)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels"
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children if isinstance(c, kinds))
        elif isinstance(node, float) and not math.isfinite(node):
            return f"a number that overflows to {node} is not a finite JSON number"
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= INT_LIMIT:
            digits = len(str(abs(node))) if node.bit_length() < 14_000 else None
            token = f"{str(node)[:24]}... ({digits} digits)" if digits else f"of {node.bit_length()} bits"
            return f"the integer {token} is beyond 64 bits; SDKs cannot read it"
    return None


def json_problem(text: str) -> str | None:
    """Why ``text`` is not JSON a client can use (the reason a check quotes), or None if it is."""
    try:
        parse_json(text)
    except ValueError as exc:
        return str(exc)
    return None


def to_json_line(record: Any) -> str:
    """``record`` as one line of strictly valid JSON, whatever a target put in it.

    NaN and Infinity become the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``, integers beyond
    64 bits their decimal string (or ``"<integer of N bits>"``), nesting deeper than twice
    ``MAX_JSON_DEPTH`` a marker string: other tools can read every line, and nothing raises.
    """
    line = strict_json_line(record)
    return line if line is not None else _json.dumps(_json_safe(record, 0), ensure_ascii=False,
                                                     allow_nan=False, default=str)


def strict_json_line(record: Any) -> str | None:
    """``record`` as one line of strict JSON as it stands, or None when it cannot be (a NaN or
    Infinity, nesting too deep): what ``to_json_line`` writes for a record with nothing to mend."""
    try:
        return _json.dumps(record, ensure_ascii=False, allow_nan=False, default=str)
    except (ValueError, RecursionError):
        return None


def _json_safe(value: Any, depth: int) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= INT_LIMIT:
        return str(value) if value.bit_length() < 14_000 else f"<integer of {value.bit_length()} bits>"
    if isinstance(value, dict | list | tuple):
        if depth >= 2 * MAX_JSON_DEPTH:
            return f"<nested deeper than {2 * MAX_JSON_DEPTH} levels>"
        if isinstance(value, dict):
            return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
        return [_json_safe(v, depth + 1) for v in value]
    return value


class TargetUnreachable(ConnectionError):
    """The target could not be connected to at all (refused, DNS, connect timeout). Here, beside
    the exchange, so what stops a run is known without loading the HTTP client (the pytest plugin)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot connect to {url}: {reason}")


KEY_REFUSED_PREFIX = "every request is refused"


class KeyRefused(RuntimeError):
    """The target refused every one of the first requests sent with its key (401/403): the key is
    wrong, or the target needs one. Beside TargetUnreachable, for the same reason."""


class RunInterrupted(RuntimeError):
    """The run was interrupted (Ctrl-C) while tests ran at once: the client sends nothing more, so each
    test under way ends at its next request instead of running to its end."""
