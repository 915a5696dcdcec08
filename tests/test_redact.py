"""Redaction: a dummy key never survives into anything respcheck records or writes."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from respcheck.exchange import Exchange, FramingIssue, Request, SSEEvent, to_json_line
from respcheck.redact import (
    MASK,
    known_secrets,
    redact_bearer_tokens,
    redact_exchange,
    redact_header,
    redact_headers,
    redact_record,
    redact_record_line,
    redact_text,
    redact_url,
    register_secret,
)
from respcheck.replay.jsonl import exchange_to_record

KEY = "sk-redact-dummy-9f8e7d6c5b4a+/="  # '+', '/' and '=' so the URL-encoded form differs


@pytest.fixture(autouse=True)
def _registered() -> None:
    register_secret(KEY)


def test_secret_headers_are_masked_by_name_whatever_their_value() -> None:
    headers = {
        "Authorization": "Bearer anything-at-all",
        "api-key": "azure-style",
        "X-API-Key": "abc",
        "Cookie": "session=1",
        "set-cookie": "session=2",
        "Proxy-Authorization": "Basic dXNlcjpwYXNz",
        "Content-Type": "application/json",
    }
    assert redact_headers(headers) == {
        "Authorization": f"Bearer {MASK}",
        "api-key": MASK,
        "X-API-Key": MASK,
        "Cookie": MASK,
        "set-cookie": MASK,
        "Proxy-Authorization": f"Basic {MASK}",
        "Content-Type": "application/json",
    }


def test_the_key_value_is_masked_in_any_header() -> None:
    assert redact_header("X-Debug", f"upstream said {KEY}") == f"upstream said {MASK}"


def test_every_wire_form_of_the_key_is_masked() -> None:
    forms = [
        KEY,
        urllib.parse.quote(KEY, safe=""),
        urllib.parse.quote_plus(KEY),
        json.dumps(KEY)[1:-1],
        base64.b64encode(f":{KEY}".encode()).decode().rstrip("="),
    ]
    for form in forms:
        assert redact_text(f"<{form}>") == f"<{MASK}>", form


def test_urls_lose_secret_params_userinfo_and_the_key() -> None:
    url = f"https://user:pw@relay.example/v1/{KEY}/responses?key=abc&api_key=def&limit=2"
    cleaned = redact_url(url)
    assert cleaned == (
        f"https://user:{MASK}@relay.example/v1/{MASK}/responses?key={MASK}&api_key={MASK}&limit=2"
    )
    assert redact_url("https://relay.example/v1/responses?limit=2&after=a%20b") == (
        "https://relay.example/v1/responses?limit=2&after=a%20b"  # untouched when nothing is secret
    )


def test_short_values_are_not_treated_as_secrets() -> None:
    register_secret("ab")
    assert "ab" not in known_secrets()
    assert redact_text("about a cab") == "about a cab"


def test_explicit_secrets_are_masked_without_registering() -> None:
    other = "sk-one-off-secret-123"
    assert redact_text(f"x {other} y", [other]) == f"x {MASK} y"
    assert other not in known_secrets()


def test_free_text_bearer_tokens_are_masked() -> None:
    assert redact_bearer_tokens("curl -H 'Authorization: Bearer sk-unknown-token-1234'") == (
        f"curl -H 'Authorization: Bearer {MASK}'"
    )


def _leaky_exchange() -> Exchange:
    """An exchange with the key everywhere a hostile or careless relay could put it."""
    return Exchange(
        id="t/1",
        request=Request(
            method="POST",
            path=f"/v1/responses/{KEY}",
            query={"key": "abc", "after": KEY},
            headers={"authorization": f"Bearer {KEY}", "x-note": KEY},
            body={"model": "m", "input": f"my key is {KEY}", "metadata": {KEY: "as a key"}},
        ),
        status=401,
        headers={"x-echo": f"Bearer {KEY}", "set-cookie": "s=1"},
        body={"error": {"message": f"Incorrect API key provided: {KEY}"}},
        body_text=f"raw {KEY}",
        events=[
            SSEEvent(0, "error", json.dumps({"message": KEY}), {"message": KEY}, id=KEY),
            SSEEvent(1, None, f"not json {KEY}", None, json_error=f"Expecting value: {KEY}"),
        ],
        framing=[FramingIssue("unknown_field", f"unknown SSE field {KEY!r} ignored", 1)],
        notes=[f"retried with {KEY}"],
        broken=f"cut after {KEY}",
    )


def test_a_redacted_exchange_record_holds_no_trace_of_the_key() -> None:
    ex = redact_exchange(_leaky_exchange())
    record = exchange_to_record(ex)
    dumped = json.dumps(record, ensure_ascii=False) + repr(ex)
    for form in (KEY, urllib.parse.quote(KEY, safe=""), json.dumps(KEY)[1:-1]):
        assert form not in dumped
    assert ex.request.headers["authorization"] == f"Bearer {MASK}"
    assert ex.request.query == {"key": MASK, "after": MASK}
    assert ex.body == {"error": {"message": f"Incorrect API key provided: {MASK}"}}
    assert ex.events[0].json == {"message": MASK} and ex.events[0].id == MASK
    assert ex.headers["set-cookie"] == MASK


def _stream(*events: SSEEvent) -> Exchange:
    return Exchange(id="t/2", request=Request(method="POST", path="/v1/responses"), status=200,
                    events=list(events))


@pytest.mark.parametrize("where", ["escaped", "id", "name", "parsed-only"])
def test_a_stream_is_searched_as_one_text_yet_every_hiding_place_is_found(where: str) -> None:
    """redact_exchange searches a stream's received text once (most hold no secret); the key still
    goes wherever it hides: behind a JSON escape in the data (parsed, it is the key), in an event's
    id or name, or in an event known only as parsed JSON."""
    escaped = json.dumps({"delta": KEY}).replace("sk-", "\\u0073k-")  # the data text never has "sk-..."
    clean = SSEEvent(0, "response.created", '{"type": "response.created"}', {"type": "response.created"})
    hiding = {
        "escaped": SSEEvent(1, "response.output_text.delta", escaped, {"delta": KEY}),
        "id": SSEEvent(1, "response.output_text.delta", '{"delta": "hi"}', {"delta": "hi"}, id=KEY),
        "name": SSEEvent(1, KEY, '{"delta": "hi"}', {"delta": "hi"}),
        "parsed-only": SSEEvent(1, "response.output_text.delta", None, {"delta": KEY}),
    }[where]
    assert KEY not in escaped
    ex = redact_exchange(_stream(clean, hiding))
    assert KEY not in repr(ex.events) and MASK in repr(ex.events[1])
    assert ex.events[0] == clean


def test_a_stream_without_the_key_is_left_as_received_unwalked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Escapes of non-ASCII text (servers that write JSON with ensure_ascii) cannot spell a key: such a
    stream is not walked event by event, nor one whose events are known only parsed (the live client's)."""
    import respcheck.redact as redact

    def walked(*args: object) -> None:
        raise AssertionError("a stream holding no secret was walked event by event")

    monkeypatch.setattr(redact, "_redact_event", walked)
    events = [SSEEvent(i, "response.output_text.delta", json.dumps({"delta": f"h\u00e9 {i} \u2603"}),
                       {"delta": f"h\u00e9 {i} \u2603"}) for i in range(3)]
    # as the live client keeps them: the data text dropped once parsed
    events += [SSEEvent(3 + i, "response.output_text.delta", None, {"delta": f"word {i}"}) for i in range(3)]
    assert "\\u00e9" in events[0].raw_data
    before = repr(events)
    assert repr(redact_exchange(_stream(*events)).events) == before


def test_redact_record_scrubs_har_name_value_lists_and_header_maps() -> None:
    har = {
        "request": {
            "url": f"https://relay.example/v1/responses?key={KEY}",
            "headers": [
                {"name": "Authorization", "value": "Bearer some-other-token"},
                {"name": "Accept", "value": "text/event-stream"},
            ],
            "queryString": [{"name": "key", "value": "plain"}, {"name": "limit", "value": "2"}],
            "postData": {"text": json.dumps({"input": KEY})},
        },
        "response": {"headers": {"Set-Cookie": "s=1", "X-Echo": KEY}},
    }
    cleaned = redact_record(har)
    assert KEY not in json.dumps(cleaned)
    assert cleaned["request"]["headers"][0] == {"name": "Authorization", "value": f"Bearer {MASK}"}
    assert cleaned["request"]["headers"][1] == {"name": "Accept", "value": "text/event-stream"}
    assert cleaned["request"]["queryString"][0] == {"name": "key", "value": MASK}
    assert cleaned["request"]["queryString"][1] == {"name": "limit", "value": "2"}
    assert cleaned["response"]["headers"] == {"Set-Cookie": MASK, "X-Echo": MASK}


def test_a_record_whose_secret_names_are_masked_already_is_not_walked_again() -> None:
    """The recorder writes exchanges the client redacted: their Authorization header reads
    "Bearer [REDACTED]", so the record is written as it is (walking it again would change nothing);
    a secret name whose value is not masked, or masked the wrong way, is still masked."""
    masked = {
        "request": {"headers": {"Authorization": f"Bearer {MASK}", "X-Api-Key": MASK},
                    "queryString": [{"name": "key", "value": MASK},
                                    {"name": "Cookie", "value": f"basic {MASK}"}]},
        "response": {"body": {"text": 'a quoted "token": "abc" in a string'}},
    }
    assert redact_record(masked) is masked
    leaks = [
        {"headers": {"authorization": "Bearer some-other-token"}},
        {"headers": {"Proxy-Authorization": f"Digest {MASK}"}},  # not a scheme word kept: masked whole
        {"queryString": [{"name": "token", "value": f"Bearer {MASK}"}]},  # a parameter keeps no scheme
        {"headers": [{"value": "secret", "name": "Cookie"}]},  # value before name
        {"headers": [{"name": "cookie", "value": f"s {MASK}"}]},  # "s" is no scheme word: masked whole
        {"headers": {"AUTHORIZATION": "Bearer x", "authorization": f"Bearer {MASK}"}},
        {"queryString": [{"name": "\u212aey", "value": "abc"}]},  # the Kelvin sign lower-cases to k
    ]
    for record in leaks:
        cleaned = redact_record(record)
        assert cleaned != record, record
        assert redact_record(cleaned) == cleaned, cleaned
    # the recorder's form: the record and its strict JSON line, serialised once when nothing is masked
    assert redact_record_line(masked) == (masked, to_json_line(masked))
    nan = {"headers": {"authorization": "Bearer x"}, "body": {"temperature": float("nan")}}
    cleaned, line = redact_record_line(nan)
    assert cleaned["headers"]["authorization"] == f"Bearer {MASK}" and line == to_json_line(cleaned)


def test_redaction_leaves_clean_data_alone() -> None:
    clean = {"model": "gpt-4.1-mini", "input": [{"role": "user", "content": "hello"}], "n": 3, "ok": True}
    assert redact_record(clean) == clean
    ex = Exchange(id="c", request=Request("GET", "/v1/responses/resp_1"), status=200, body=clean)
    assert exchange_to_record(redact_exchange(ex))["response"]["body"] == clean


def test_redact_url_accepts_an_already_redacted_url() -> None:
    from respcheck.redact import MASK, redact_url

    once = redact_url("https://user:sk-secret-123@host.example/v1")
    assert "sk-secret-123" not in once
    assert redact_url(once) == once
    assert MASK in redact_url(f"https://user:{MASK}@host.example/v1")


def test_one_list_of_credential_headers_for_reports_repros_and_targets_yaml() -> None:
    from respcheck.config import ConfigError, parse_targets
    from respcheck.session.repro import to_curl

    assert redact_headers({"OpenAI-Api-Key": "sk-unregistered-1234"}) == {"OpenAI-Api-Key": MASK}
    curl = to_curl("https://h/v1", "/responses", {}, {"OpenAI-Api-Key": "sk-unregistered"})
    assert "sk-unregistered" not in curl
    with pytest.raises(ConfigError, match=r"credentials do not belong in targets\.yaml"):
        parse_targets("targets:\n  x:\n    base_url: https://h/v1\n    headers: {OpenAI-Api-Key: sk-x}\n")


def test_a_key_split_across_deltas_is_masked_in_the_assembly_and_its_quotes() -> None:
    """A target that echoes the key in its text, split over two deltas: the .done copy was masked when
    recorded, the deltas only together hold it. The assembly compares the masked whole (no false
    finding), and any finding quoting a piece of the key shows the mask instead."""
    from respcheck.exchange import Exchange, Request
    from respcheck.judge import judge
    from respcheck.redact import redact_exchange, redact_quoted, register_secret
    from respcheck.sse import parse_sse

    key = "sk-split-0123456789abcdefghijklmnopqrstuvwxyz"
    register_secret(key)
    text = f"the key is {key}."
    parts = [text[:25], text[25:]]  # the cut falls inside the key
    events = [
        {"type": "response.output_text.delta", "item_id": "m", "output_index": 0, "content_index": 0,
         "delta": part, "sequence_number": i} for i, part in enumerate(parts)
    ] + [{"type": "response.output_text.done", "item_id": "m", "output_index": 0, "content_index": 0,
          "text": text, "sequence_number": 2}]
    raw = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    ex = Exchange(id="x", request=Request("POST", "/v1/responses", body={"stream": True}), status=200,
                  headers={"content-type": "text/event-stream"})
    ex.events, ex.framing = parse_sse(raw)
    redact_exchange(ex)
    assert key not in ex.events[2].data and key[:10] in ex.events[0].data and key[-10:] in ex.events[1].data
    findings = judge(ex)
    assert not [f for f in findings if f.check_id == "stream.assembly.output_text"]
    assert all(key[:8] not in f.message and key[-8:] not in f.message for f in findings)
    quote = f"first difference at char 11: {key[:20]!r} vs {key[15:35]!r}"
    assert key[:8] not in redact_quoted(quote) and key[15:23] not in redact_quoted(quote)
