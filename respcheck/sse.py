"""The one SSE parser: bytes in, events and framing issues out.

Written by hand because the libraries bend the WHATWG rules respcheck must judge
(httpx-sse mishandles a BOM, data-less blocks and ``retry``). It follows
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation:
LF, CR and CRLF line ends; one optional leading BOM; comments; ``event``/``data``/``id``/``retry``;
a block without ``data`` dispatches nothing. Deviations never raise: they become
``FramingIssue`` records for the checks to judge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from respcheck.exchange import FramingIssue, SSEEvent, parse_json
from respcheck.jsontypes import clipped

_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = "\ufeff"
# The most events the live client keeps from one stream: a real Responses stream of 30,000 output
# tokens is about 30,000 events; a flood of ``data:1`` (8 MiB is a million events) stops here.
MAX_EVENTS = 50_000
# Framing issues kept per kind: a stream of a million bad lines is judged by the first ones and a count.
MAX_ISSUES_PER_KIND = 100
# A retry value longer than this is not a reconnection time (int() refuses 4,300+ digits anyway).
_RETRY_DIGITS = 10


class SSEParser:
    """Incremental parser: ``feed`` chunks as they arrive, then ``close``."""

    def __init__(self, keep_text: bool = True, max_events: int | None = None) -> None:
        # keep_text=False drops an event's data text once it parsed as JSON (checks read the JSON;
        # SSEEvent.data re-serialises on demand): the live client's memory bound against a
        # hostile stream of tiny events.
        self.keep_text = keep_text
        self.max_events = max_events  # events past it are dropped and ``overflowed`` is set
        self.overflowed = False
        self._kept: dict[str, int] = {}  # framing issues kept, by kind
        self._dropped: dict[str, int] = {}  # framing issues past MAX_ISSUES_PER_KIND, by kind
        self.events: list[SSEEvent] = []
        self.framing: list[FramingIssue] = []
        # The unfinished last line. It holds no line end (a CR ends a line at once), so only a new
        # chunk is searched for one: a long line arriving in small chunks costs linear time.
        self._pending = bytearray()
        self._skip_lf = False  # the previous chunk ended in CR; a leading LF belongs to it
        self._first_line = True
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes, arrived_at: float | None = None) -> list[SSEEvent]:
        if not chunk:
            return []  # an empty read must not forget a CR that may be the first half of CRLF
        if self._skip_lf and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._skip_lf = False
        start = len(self.events)
        pos = 0
        for match in _LINE_END.finditer(chunk):
            line = chunk[pos : match.start()]
            if self._pending:
                line = bytes(self._pending + line)
                self._pending.clear()
            self._line(line, arrived_at)
            pos = match.end()
        self._pending += chunk[pos:]
        if chunk.endswith(b"\r"):
            self._skip_lf = True
        return self.events[start:]

    def close(self, arrived_at: float | None = None) -> list[SSEEvent]:
        """End of stream: an unterminated last block is kept but reported."""
        start = len(self.events)
        if self._pending:
            self._line(bytes(self._pending), arrived_at)
            self._pending.clear()
        if self._data:
            self._issue(
                FramingIssue(
                    "unterminated_block",
                    "the stream ended inside an event (no blank line after its last field); "
                    "a strict SSE client discards that event",
                    len(self.events),
                )
            )
            self._dispatch(arrived_at)
        for kind, count in self._dropped.items():
            self.framing.append(FramingIssue(kind, f"and {count} more issues of this kind (not kept)"))
        self._dropped.clear()
        return self.events[start:]

    def _issue(self, issue: FramingIssue) -> None:
        kept = self._kept.get(issue.kind, 0)
        if kept >= MAX_ISSUES_PER_KIND:
            self._dropped[issue.kind] = self._dropped.get(issue.kind, 0) + 1
            return
        self._kept[issue.kind] = kept + 1
        self.framing.append(issue)

    def _line(self, raw: bytes, arrived_at: float | None) -> None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.decode("utf-8", errors="replace")
            self._issue(
                FramingIssue("invalid_utf8", f"bytes that are not UTF-8: {exc.reason}", len(self.events))
            )
        if self._first_line:
            self._first_line = False
            if line.startswith(_BOM):
                line = line[1:]
        if not line:
            self._dispatch(arrived_at)
            return
        if line.startswith(":"):
            return  # comment / keep-alive
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._id = value
        elif name == "retry":
            if not (value.isascii() and value.isdigit()):
                self._issue(
                    FramingIssue("bad_retry", f"retry value {clipped(repr(value))} is not digits",
                                 len(self.events))
                )
            elif len(value) > _RETRY_DIGITS:
                self._issue(
                    FramingIssue("bad_retry", f"retry value of {len(value)} digits is no reconnection time "
                                 f"(at most {_RETRY_DIGITS} digits)", len(self.events))
                )
            else:
                self._retry = int(value)
        else:
            self._issue(
                FramingIssue("unknown_field", f"unknown SSE field {clipped(repr(name))} ignored",
                             len(self.events))
            )

    def _dispatch(self, arrived_at: float | None) -> None:
        if not self._data:
            if self._event is not None:
                self._issue(
                    FramingIssue(
                        "dataless_block",
                        f"a block with event {self._event!r} but no data line is not an event",
                        len(self.events),
                    )
                )
            self._event = None
            return
        if self.max_events is not None and len(self.events) >= self.max_events:
            self.overflowed = True
            self._event, self._data, self._retry = None, [], None
            return
        data = "\n".join(self._data)
        event = make_event(len(self.events), self._event, data, self._id, self._retry, arrived_at)
        if not self.keep_text and event.json is not None:
            event.raw_data = None
        self.events.append(event)
        self._event = None
        self._data = []
        self._retry = None


def make_event(
    index: int,
    event: str | None,
    data: str,
    id: str | None = None,
    retry: int | None = None,
    arrived_at: float | None = None,
) -> SSEEvent:
    """Build an SSEEvent, parsing its data as JSON where it is JSON (``[DONE]`` is not)."""
    parsed = None
    error = None
    if data != "[DONE]":
        try:
            parsed = parse_json(data)
        except ValueError as exc:
            error = str(exc)
    return SSEEvent(index, event, data, parsed, error, id, retry, arrived_at)


def parse_sse(
    data: bytes | str, chunks: Iterable[bytes] | None = None
) -> tuple[list[SSEEvent], list[FramingIssue]]:
    """Parse a whole stream at once (recordings, tests)."""
    parser = SSEParser()
    if chunks is not None:
        for chunk in chunks:
            parser.feed(chunk)
    else:
        parser.feed(data.encode("utf-8") if isinstance(data, str) else data)
    parser.close()
    return parser.events, parser.framing
