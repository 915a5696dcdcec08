"""Shared pieces of the reference-server tests: a running server and a small HTTP -> Exchange helper.

Kept small on purpose: ``send`` sees the raw HTTP exchange, without respcheck/client.py's retries,
budget and redaction in the way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from respcheck.exchange import Exchange, Request
from respcheck.findings import Finding, Severity
from respcheck.judge import judge
from respcheck.profiles import get_profile
from respcheck.server.run import RunningServer
from respcheck.sse import SSEParser

KEY = "sk-reference-test"
AUTH = {"Authorization": f"Bearer {KEY}"}


def client_for(server: RunningServer, headers: dict[str, str] | None = None) -> httpx.Client:
    """An httpx client for the server (the test modules wrap this and ``start_server`` in fixtures)."""
    return httpx.Client(base_url=server.base_url, headers=AUTH if headers is None else headers, timeout=30)


def send(
    client: httpx.Client,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Exchange:
    """Send one request and record it as an Exchange (SSE parsed as it arrives)."""
    request = Request(method, "/v1" + path, dict(query or {}), dict(headers or {}), body)
    started = time.monotonic()
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    if body is not None:
        kwargs["content"] = json.dumps(body)
        kwargs["headers"] = {"content-type": "application/json", **(headers or {})}
    with client.stream(method, path, **kwargs) as response:
        exchange = Exchange(
            id=f"{method} {path}",
            request=request,
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            provider="reference",
        )
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            parser = SSEParser()
            for chunk in response.iter_raw():
                parser.feed(chunk, time.monotonic() - started)
            parser.close(time.monotonic() - started)
            exchange.events, exchange.framing = parser.events, parser.framing
        else:
            raw = response.read().decode()
            try:
                exchange.body = json.loads(raw)
            except ValueError:
                exchange.body_text = raw
    exchange.elapsed = time.monotonic() - started
    return exchange


def errors_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.ERROR]


def assert_clean(exchange: Exchange, allow_openresponses: frozenset[str] | set[str] = frozenset()) -> None:
    """No error finding under the openai profile; Response objects and events valid under openresponses."""
    found = errors_of(judge(exchange, "openai"))
    assert not found, "\n".join(f"{f.check_id} at {f.location}: {f.message}" for f in found)
    problems = list(openresponses_problems(exchange, allow_openresponses))
    assert not problems, "\n".join(problems)


def _allowed(pointer: str, allowed: frozenset[str] | set[str]) -> bool:
    return any(pointer.startswith(p) or pointer.startswith("/response" + p) for p in allowed)


def openresponses_problems(
    exchange: Exchange, allowed: frozenset[str] | set[str] = frozenset()
) -> Iterator[str]:
    profile = get_profile("openresponses")
    response_schema = profile.validator("response")
    assert response_schema is not None
    if exchange.endpoint == "chat_completions":
        return  # Open Responses says nothing about Chat Completions
    if exchange.events is None and exchange.status is not None and exchange.status >= 400:
        error_schema = profile.validator("error")
        assert error_schema is not None
        for error in error_schema.errors(exchange.body, limit=20):
            yield f"openresponses error{error.pointer}: {error.text}"
        return
    if exchange.events is None:
        if exchange.endpoint == "compact" and exchange.status == 200:
            compact_schema = profile.validator("compact_result")
            assert compact_schema is not None
            for error in compact_schema.errors(exchange.body, limit=20):
                yield f"openresponses compact_result{error.pointer}: {error.text}"
        if exchange.endpoint in ("create", "retrieve", "cancel") and exchange.status == 200:
            for error in response_schema.errors(exchange.body, limit=20):
                if not _allowed(error.pointer, allowed):
                    yield f"openresponses response{error.pointer}: {error.text}"
        return
    for event in exchange.json_events:
        validator = profile.validator(f"events/{event.type}")
        if validator is None:
            yield f"openresponses has no schema for event {event.type}"
            continue
        for error in validator.errors(event.json, limit=20):
            if not _allowed(error.pointer, allowed):
                yield f"openresponses event {event.index} {event.type}{error.pointer}: {error.text}"
        if isinstance(event.json.get("response"), dict):
            for error in response_schema.errors(event.json["response"], limit=20):
                if not _allowed(error.pointer, allowed):
                    yield f"openresponses event {event.index} response{error.pointer}: {error.text}"


def final_response(exchange: Exchange) -> dict[str, Any]:
    """The Response an exchange ends with (JSON body or terminal event)."""
    if exchange.events is None:
        return exchange.body
    for event in reversed(exchange.json_events):
        if event.type in ("response.completed", "response.incomplete", "response.failed"):
            return event.json["response"]
    raise AssertionError("the stream has no terminal event")


def output_text(response: dict[str, Any]) -> str:
    return "".join(
        part.get("text", "")
        for item in response.get("output", [])
        if item.get("type") == "message"
        for part in item.get("content", [])
        if part.get("type") == "output_text"
    )


def wait_for_status(client: httpx.Client, response_id: str, statuses: set[str], attempts: int = 400) -> dict:
    """Poll a background response until it reaches one of ``statuses`` (bounded)."""
    for _ in range(attempts):
        body = client.get(f"/responses/{response_id}").json()
        if body.get("status") in statuses:
            return body
        time.sleep(0.01)
    raise AssertionError(f"{response_id} never reached {statuses}")
