"""The SSE parser against the WHATWG event-stream rules, and against chunking."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from respcheck.sse import SSEParser, parse_sse
from tests.recorded import record
from tests.test_checks_stream import BASIC, sse_bytes

STREAM = (
    "event: response.created\n"
    'data: {"type":"response.created","sequence_number":0}\n'
    "\n"
    ": keep-alive comment\n"
    "id: 7\n"
    "retry: 3000\n"
    "event: response.output_text.delta\n"
    'data: {"type":"response.output_text.delta",\n'
    'data: "delta":"h\u00e9llo \u2603"}\n'
    "\n"
    "data: [DONE]\n"
    "\n"
)


def summary(text: str | bytes) -> list[tuple]:
    events, framing = parse_sse(text)
    assert framing == []
    return [(e.event, e.data, e.id, e.retry) for e in events]


def test_lf_stream():
    events, framing = parse_sse(STREAM)
    assert framing == []
    assert [e.event for e in events] == ["response.created", "response.output_text.delta", None]
    assert events[0].json == {"type": "response.created", "sequence_number": 0}
    assert events[1].data == '{"type":"response.output_text.delta",\n"delta":"h\u00e9llo \u2603"}'
    assert events[1].json["delta"] == "h\u00e9llo \u2603"
    assert [e.index for e in events] == [0, 1, 2]


def test_cr_crlf_and_mixed_line_ends_parse_alike():
    expected = summary(STREAM)
    assert summary(STREAM.replace("\n", "\r")) == expected
    assert summary(STREAM.replace("\n", "\r\n")) == expected
    lines = STREAM.split("\n")
    ends = ["\n", "\r", "\r\n"]
    mixed = "".join(line + ends[i % 3] for i, line in enumerate(lines[:-1]))
    assert summary(mixed) == expected


def test_multi_line_data_is_joined_with_newlines():
    [event] = parse_sse("data: a\ndata:b\ndata\ndata:  c\n\n")[0]
    # "data:b" has no space to strip; a bare "data" adds an empty line; only one space is stripped.
    assert event.data == "a\nb\n\n c"
    assert event.json is None and event.json_error


def test_comments_are_ignored():
    assert summary(": hello\n:\ndata: {}\n: bye\n\n") == [(None, "{}", None, None)]


def test_id_persists_and_retry_belongs_to_its_event():
    events, framing = parse_sse("id: a1\nretry: 250\ndata: {}\n\ndata: {}\n\nid\ndata: {}\n\n")
    assert framing == []
    assert [(e.id, e.retry) for e in events] == [("a1", 250), ("a1", None), ("", None)]


def test_bad_retry_is_a_framing_issue_not_an_exception():
    events, framing = parse_sse("retry: 1.5s\ndata: {}\n\n")
    assert [e.retry for e in events] == [None]
    assert [f.kind for f in framing] == ["bad_retry"]


def test_leading_bom_is_dropped_once():
    assert summary("\ufeffdata: {}\n\n") == [(None, "{}", None, None)]
    assert summary(b"\xef\xbb\xbfevent: x\ndata: {}\n\n") == [("x", "{}", None, None)]
    # A second BOM is not a BOM: it makes an unknown field name.
    events, framing = parse_sse("\ufeff\ufeffdata: {}\n\n")
    assert events == [] and [f.kind for f in framing] == ["unknown_field"]


def test_final_block_without_blank_line_is_kept_and_reported():
    events, framing = parse_sse('data: {"a":1}\n\ndata: {"b":2}')
    assert [e.json for e in events] == [{"a": 1}, {"b": 2}]
    assert [(f.kind, f.event_index) for f in framing] == [("unterminated_block", 1)]
    _, framing = parse_sse('data: {"b":2}\n')
    assert [f.kind for f in framing] == ["unterminated_block"]


def test_trailing_fields_without_data_are_no_event():
    events, framing = parse_sse("data: {}\n\nevent: orphan\n")
    assert len(events) == 1 and framing == []


def test_done_marker():
    [event] = parse_sse("data: [DONE]\n\n")[0]
    assert event.is_done_marker
    assert event.json is None and event.json_error is None


def test_dataless_block_is_reported_and_dispatches_nothing():
    events, framing = parse_sse("event: ping\n\ndata: {}\n\n")
    assert [e.event for e in events] == [None]
    assert [(f.kind, f.event_index) for f in framing] == [("dataless_block", 0)]


def test_invalid_utf8_is_replaced_and_reported():
    events, framing = parse_sse(b'data: {"t":"\xff"}\n\n')
    assert events[0].json == {"t": "\ufffd"}
    assert [f.kind for f in framing] == ["invalid_utf8"]


def test_unknown_field_is_reported():
    events, framing = parse_sse("foo: bar\ndata: {}\n\n")
    assert len(events) == 1
    assert [f.kind for f in framing] == ["unknown_field"]


def test_feed_returns_the_events_each_chunk_completed():
    parser = SSEParser()
    assert parser.feed(b"data: {}\n") == []
    assert [e.data for e in parser.feed(b"\ndata: [DO", arrived_at=0.5)] == ["{}"]
    assert parser.events[0].arrived_at == 0.5
    assert [e.data for e in parser.feed(b"NE]\r")] == []
    assert [e.data for e in parser.feed(b"\n")] == []  # the LF of CRLF, not a blank line
    assert [e.data for e in parser.feed(b"\r\n")] == ["[DONE]"]
    assert parser.close() == [] and parser.framing == []


def test_empty_chunk_between_cr_and_lf_does_not_split_the_line_end():
    parser = SSEParser()
    for chunk in (b"data: a\r", b"", b"\ndata: b\r\n", b"\r\n"):
        parser.feed(chunk)
    parser.close()
    assert [e.data for e in parser.events] == ["a\nb"]
    assert parser.framing == []


# -- chunking: any split of the bytes parses identically ------------------------------------------

TRICKY = (
    "\ufeffevent: response.created\r\n"
    'data: {"type":"response.created","sequence_number":0}\r\n'
    "\r\n"
    ": ping\r"
    "id: 9\r"
    "retry: 10\r"
    'data: {"type":"x","delta":"\u00e9\u2603\U0001f600"}\r'
    "\r"
    "event: a\n"
    "data: line one\n"
    "data: line two\n"
    "\n"
    "data: [DONE]\n"
    "\n"
    "retry: nope\n"
    "data: unterminated"
).encode()


def parse_in_chunks(raw: bytes, cuts: list[int]) -> tuple[list, list]:
    parser = SSEParser()
    bounds = [0, *sorted(cuts), len(raw)]
    for start, end in itertools.pairwise(bounds):
        parser.feed(raw[start:end])
    parser.close()
    return parser.events, parser.framing


# Cuts right after a CR (and repeated cuts: empty chunks) are where incremental parsers slip.
_AFTER_CR = [i + 1 for i, byte in enumerate(TRICKY) if byte == 0x0D]
_CUTS = st.lists(
    st.one_of(st.integers(min_value=0, max_value=len(TRICKY)), st.sampled_from(_AFTER_CR)), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(_CUTS)
def test_any_chunking_parses_identically(cuts):
    assert parse_in_chunks(TRICKY, cuts) == parse_sse(TRICKY)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_chunking_of_a_recorded_stream_parses_identically(data):
    raw = sse_bytes(record(BASIC)).replace(b"\n", b"\r\n")
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(raw)), max_size=60))
    events, framing = parse_in_chunks(raw, cuts)
    assert (events, framing) == parse_sse(raw)
    assert len(events) == 9 and framing == []


def test_every_byte_its_own_chunk():
    assert parse_in_chunks(TRICKY, list(range(len(TRICKY)))) == parse_sse(TRICKY)
    events, framing = parse_sse(TRICKY)
    assert [e.event for e in events] == ["response.created", None, "a", None, None]
    assert events[1].json["delta"] == "\u00e9\u2603\U0001f600"
    assert events[1].id == "9" and events[1].retry == 10
    assert events[2].data == "line one\nline two"
    assert [f.kind for f in framing] == ["bad_retry", "unterminated_block"]


def test_keep_text_false_drops_parsed_text_but_keeps_what_is_not_json():
    parser = SSEParser(keep_text=False)
    parser.feed(b'data: {"type":"a", "n": 1}\n\ndata: not json\n\ndata: [DONE]\n\n')
    parser.close()
    parsed, broken, done = parser.events
    assert parsed.raw_data is None and parsed.json == {"type": "a", "n": 1}
    assert parsed.data == '{"type":"a","n":1}'  # re-serialised on demand
    assert broken.raw_data == "not json" and broken.json_error
    assert done.is_done_marker


def test_parse_json_checks_each_number_as_it_is_read():
    """Numbers are bounded as the parser reads them: text that only looks like a big number (an id
    with "e123" or twenty digits in a string) is no problem; the number tokens at the edges are."""
    import pytest

    from respcheck.exchange import INT_LIMIT, JSONProblem, parse_json

    ids = '{"id": "resp_5b438e1234c9", "digits": "12345678901234567890123", "n": 1.5e308}'
    assert parse_json(ids)["n"] == 1.5e308
    assert parse_json(f"[{INT_LIMIT - 1}, {-(INT_LIMIT - 1)}]") == [INT_LIMIT - 1, -(INT_LIMIT - 1)]
    for text, named in [(f'{{"a": [1, {INT_LIMIT}]}}', "beyond 64 bits"), (str(-INT_LIMIT), "beyond 64 bits"),
                        ('{"t": -1e309}', "overflows to -inf")]:
        with pytest.raises(JSONProblem, match=named):
            parse_json(text)


def test_parse_json_says_what_json_loads_says_of_a_bom():
    """The hooked decoder is built once per thread, not per call as ``json.loads`` builds it: text that
    starts with a BOM is still refused in json.loads' words (the decoder alone says "Expecting value")."""
    import json
    import threading

    import pytest

    from respcheck.exchange import parse_json

    with pytest.raises(json.JSONDecodeError, match="Unexpected UTF-8 BOM"):
        parse_json('\ufeff{"a": 1}')
    parsed: list[object] = []
    threads = [threading.Thread(target=lambda n=n: parsed.append(parse_json(f'{{"n": [{n}, 1.5]}}')))
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p["n"][0] for p in parsed) == list(range(8))  # parsed in eight threads at once
