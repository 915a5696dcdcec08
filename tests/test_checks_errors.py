"""Error bodies and statuses, and the delete / input_items / input_tokens / compact bodies:
each check fires on a mutated real exchange; real OpenAI traffic keeps them silent."""

from __future__ import annotations

import pytest

from respcheck.checks import all_checks, get_check
from respcheck.findings import Finding, Severity
from respcheck.judge import judge
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded

MODULE = "respcheck.checks.errors"


def own_checks():
    return [c for c in all_checks() if getattr(c.func, "__module__", None) == MODULE]


def findings(record: dict, check_id: str, profile: str = "openai") -> list[Finding]:
    return judge(exchange_from_record(record), profile, [get_check(check_id)])


def openai_error() -> dict:
    """A real OpenAI 400: {"error": {"code", "message", "param", "type"}}."""
    return recorded.first(lambda r: r["provider"] == "openai" and r["response"]["status"] == 400)


def endpoint(name: str) -> dict:
    return recorded.first(lambda r: r["provider"] == "openai" and r["endpoint"] == name)


def as_retrieve_404(record: dict) -> dict:
    """Turn a real 400 into the answer to GET /v1/responses/{unknown id}."""
    record["request"].update(method="GET", path="/v1/responses/resp_unknown", body=None)
    record["response"]["status"] = 404
    record["response"]["body"]["error"].update(
        message="Response with id 'resp_unknown' not found.",
        type="invalid_request_error",
        param=None,
        code=None,
    )
    return record


# --- ground truth ----------------------------------------------------------------------


def test_real_openai_traffic_has_no_finding() -> None:
    checks = own_checks()
    assert [f for ex in recorded.exchanges("openai") for f in judge(ex, "openai", checks)] == []


def test_deepseek_error_served_as_octet_stream() -> None:
    """A real deviation: DeepSeek's 400 carries an OpenAI-shaped body but application/octet-stream."""
    checks = own_checks()
    found = [
        (f.check_id, f.location)
        for ex in recorded.exchanges("deepseek")
        for f in judge(ex, "openai", checks)
        if f.severity is Severity.ERROR
    ]
    assert found == [("error.content_type", "/response/content_type")]


# --- error bodies ----------------------------------------------------------------------


def test_error_content_type_must_be_json() -> None:
    r = openai_error()
    r["response"]["content_type"] = "text/plain; charset=utf-8"
    [f] = findings(r, "error.content_type")
    assert f.check_id == "error.content_type"
    r["response"]["content_type"] = "application/problem+json"
    assert findings(r, "error.content_type") == []


def test_an_html_error_page_is_one_finding() -> None:
    r = openai_error()
    r["response"].update(status=502, content_type="text/html", body="<html><h1>502 Bad Gateway</h1></html>")
    found = judge(exchange_from_record(r), "openai", own_checks())
    assert [f.check_id for f in found] == ["error.envelope"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", "HTML"),
        ("Internal Server Error", "a bare string"),
        ({"detail": "Not Found"}, '{"detail": ...}'),
        (
            {"object": "error", "message": "bad", "type": "BadRequestError", "param": None, "code": 400},
            "vLLM-style",
        ),
        ({"error": "invalid model"}, "error must be an object"),
        ({"message": "invalid model", "code": 400}, "an object without an error key"),
        ("", "empty"),
    ],
)
def test_error_envelope(body: object, says: str) -> None:
    r = openai_error()
    r["response"]["body"] = body
    [f] = findings(r, "error.envelope")
    assert f.check_id == "error.envelope"
    assert says in f.message
    assert 'OpenAI SDKs expect {"error": {"message", "type", "param", "code"}}' in f.message


def test_error_fields() -> None:
    r = openai_error()
    error = r["response"]["body"]["error"]
    del error["param"]
    error["code"] = 400
    error["type"] = None
    found = findings(r, "error.fields")
    assert {f.check_id for f in found} == {"error.fields"}
    assert sorted(f.location for f in found) == [
        "/response/body/error/code",
        "/response/body/error/param",
        "/response/body/error/type",
    ]


@pytest.mark.parametrize("message", ["", "   ", None])
def test_error_message_non_empty(message: object) -> None:
    r = openai_error()
    r["response"]["body"]["error"]["message"] = message
    [f] = findings(r, "error.message")
    assert f.check_id == "error.message"
    assert f.location == "/response/body/error/message"


def test_500_for_an_invalid_request() -> None:
    r = openai_error()
    assert r["response"]["body"]["error"]["type"] == "invalid_request_error"
    r["response"]["status"] = 500
    [f] = findings(r, "error.status")
    assert f.check_id == "error.status"
    assert "SDKs retry 5xx" in f.message


def test_not_found_code_must_be_404() -> None:
    r = as_retrieve_404(openai_error())
    assert findings(r, "error.status") == []
    r["response"]["status"] = 500
    r["response"]["body"]["error"].update(type="server_error", code="not_found")
    [f] = findings(r, "error.status")
    assert f.check_id == "error.status"
    assert "404" in f.message


@pytest.mark.parametrize("code", [{}, ["not_found"]])
def test_a_code_that_is_not_a_string_is_judged_not_raised(code: object) -> None:
    r = as_retrieve_404(openai_error())
    r["response"]["status"] = 500
    r["response"]["body"]["error"].update(type="server_error", code=code, message="boom")
    assert findings(r, "error.status") == []
    assert findings(r, "error.fields")


def test_500_on_retrieve_whose_message_says_not_found() -> None:
    r = as_retrieve_404(openai_error())
    r["response"]["status"] = 500
    r["response"]["body"]["error"]["type"] = "server_error"
    [f] = findings(r, "error.status")
    assert "retried, in vain" in f.message


def test_400_with_a_not_found_code_on_delete() -> None:
    r = as_retrieve_404(openai_error())
    r["request"]["method"] = "DELETE"
    r["response"]["status"] = 400
    r["response"]["body"]["error"]["code"] = "not_found"
    [f] = findings(r, "error.status")
    assert f.check_id == "error.status"


def test_not_found_wording_on_a_4xx_or_on_create_is_left_alone() -> None:
    """Conservative: a 400 may be about another id (an ``after`` cursor, a previous_response_id)."""
    r = as_retrieve_404(openai_error())
    r["response"]["status"] = 400
    assert findings(r, "error.status") == []
    r = openai_error()
    r["response"]["body"]["error"].update(
        message="Previous response with id 'resp_x' not found.", code="not_found"
    )
    assert findings(r, "error.status") == []


def test_a_genuine_server_error_is_not_flagged() -> None:
    r = openai_error()
    r["response"]["status"] = 500
    r["response"]["body"]["error"].update(type="server_error", code="server_error", param=None)
    assert findings(r, "error.status") == []


def test_error_carried_by_a_200() -> None:
    r = openai_error()
    r["response"]["status"] = 200
    [f] = findings(r, "error.in_success")
    assert f.check_id == "error.in_success"
    assert f.location == "/response/body/error"


def test_vllm_style_error_carried_by_a_200() -> None:
    r = openai_error()
    r["response"]["status"] = 200
    r["response"]["body"] = {"object": "error", "message": "bad", "type": "BadRequestError", "code": 400}
    [f] = findings(r, "error.in_success")
    assert f.check_id == "error.in_success"


def test_a_response_objects_own_error_field_is_not_an_error_envelope() -> None:
    r = recorded.first(
        lambda r: r["provider"] == "openai" and r["endpoint"] == "create" and not r["streaming"]
    )
    r["response"]["body"]["error"] = {"code": "server_error", "message": "x"}
    assert findings(r, "error.in_success") == []


# --- success bodies --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["<!DOCTYPE html><html>Welcome to nginx!</html>", ""])
def test_success_body_must_be_json(text: str) -> None:
    r = endpoint("retrieve")
    r["response"]["body"] = text
    [f] = findings(r, "body.json")
    assert f.check_id == "body.json"
    assert f.location == "/response/body"


def test_success_json_served_with_another_content_type_is_a_warning() -> None:
    r = endpoint("input_tokens")
    r["response"]["content_type"] = "text/html"
    [f] = findings(r, "body.content_type")
    assert (f.check_id, f.severity) == ("body.content_type", Severity.WARNING)


# --- the other endpoints ---------------------------------------------------------------


def test_delete_result() -> None:
    r = endpoint("delete")
    assert findings(r, "delete.result") == []
    body = r["response"]["body"]
    body.update(object="response", deleted="true", id="resp_other")
    found = findings(r, "delete.result")
    assert {f.check_id for f in found} == {"delete.result"}
    # Another id than the one deleted is response.id.round_trip's (issue 11, class 9).
    assert sorted(f.location for f in found) == ["/response/body/deleted", "/response/body/object"]
    [other_id] = findings(r, "response.id.round_trip")
    assert other_id.location == "/response/body/id" and "resp_other" in other_id.message
    del body["id"]
    assert "/response/body/id" in {f.location for f in findings(r, "delete.result")}


def test_input_items_list() -> None:
    r = endpoint("input_items")
    body = r["response"]["body"]
    body["last_id"] = "msg_somewhere_else"
    [f] = findings(r, "input_items.list")
    assert f.check_id == "input_items.list"
    assert f.location == "/response/body/last_id"
    body.update(last_id=body["first_id"], has_more="false", object="input_items")
    found = findings(r, "input_items.list")
    assert sorted(f.location for f in found) == ["/response/body/has_more", "/response/body/object"]
    body["data"] = None
    assert "/response/body/data" in {f.location for f in findings(r, "input_items.list")}


@pytest.mark.parametrize(
    ("change", "at"),
    [
        ({"object": "input_tokens"}, "/response/body/object"),
        ({"input_tokens": -3}, "/response/body/input_tokens"),
        ({"input_tokens": "16"}, "/response/body/input_tokens"),
    ],
)
def test_input_tokens_result(change: dict, at: str) -> None:
    r = endpoint("input_tokens")
    r["response"]["body"].update(change)
    [f] = findings(r, "input_tokens.result")
    assert f.check_id == "input_tokens.result"
    assert f.location == at


def test_compact_result() -> None:
    r = endpoint("compact")
    body = r["response"]["body"]
    body.update(object="response", output={"items": []})
    del body["id"]
    found = findings(r, "compact.result")
    assert {f.check_id for f in found} == {"compact.result"}
    assert sorted(f.location for f in found) == [
        "/response/body/id",
        "/response/body/object",
        "/response/body/output",
    ]
