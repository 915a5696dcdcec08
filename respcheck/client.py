"""The one HTTP client: every live exchange with a target goes through here.

``ResponsesClient(target, budget, recorder)`` has one method per Responses endpoint
and a raw ``send`` for error tests; each returns an ``Exchange``. A target that
misbehaves at the transport level (hangs, drips, resets, sends 50 MB, streams
forever, sends bytes that are not UTF-8) produces an Exchange whose ``broken``
names the cause, never an exception and never a hang:

- ``connect``: httpx connect timeout;
- ``first_byte``: the read timeout while waiting for the response headers;
- ``between_events``: the read timeout inside the body (socket idle), and for
  streams also the longest wait for the next complete event while bytes trickle;
- ``total``: wall clock, enforced by a watchdog that shuts the socket down, so a
  blocked read ends on time whatever the server does;
- ``max_body_bytes``: the body is read in chunks and reading stops at the cap.

Only a target that cannot be reached at all raises (``TargetUnreachable``), and a
spent budget raises ``BudgetExhausted`` before anything is sent. The body is read by
``respcheck.body_reader`` (the caps and timeouts inside the body); the transport's own bounds
are ``respcheck.wire``.
"""

from __future__ import annotations

import email.utils
import ipaddress
import itertools
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from respcheck import __version__
from respcheck.body_reader import BodyReader, failure_reason
from respcheck.budget import Budget, BudgetExhausted, BudgetTracker, RateLimiter, Spend
from respcheck.config import Target, url_problem
from respcheck.exchange import (
    KEY_REFUSED_PREFIX,
    Exchange,
    KeyRefused,
    Request,
    RunInterrupted,
    TargetUnreachable,
)
from respcheck.redact import redact_exchange, redact_headers, redact_url, register_secret
from respcheck.wire import (
    ACCEPTED_ENCODINGS,
    ExchangeDeadline,
    Watchdog,
    bound_transport,
)

__all__ = ["BudgetExhausted", "KeyRefused", "ResponsesClient", "TargetUnreachable"]

Recorder = Callable[[Exchange], None]
RETRY_STATUSES = frozenset({429, 503})
# More response header fields than this is a hostile answer (h11 already caps the header block
# at 100 KiB, which alone would allow ~25,000 tiny fields).
MAX_HEADER_FIELDS = 256
_UNSET: Any = object()
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


REFUSED_STATUSES = frozenset({401, 403})
# An idle connection is dropped after this long: below the servers' own keep-alive timeouts (uvicorn,
# hypercorn, Node 5 s; gunicorn 2 s). At httpx's default (5 s, the same as the server's) a request
# can go out on a connection the server is closing at that moment: "Server disconnected without
# sending a response", seen on agentserver (hypercorn) under load. That race is no finding.
KEEPALIVE_S = 1.0
# A server may close a kept-alive connection at any time without saying so (RFC 9112 9.6), e.g.
# hypercorn after a 405 it sent before reading the request's body: a request already on its way
# over that connection then gets no answer. HTTP clients send it again on a new connection (RFC 9112
# 9.3.1; the openai SDK retries any connection error): so does respcheck, up to this many times, only
# when the failed attempt went out on a reused connection (a new connection that fails is reported).
STALE_RESENDS = 3
_STALE_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
# How many of the first authenticated requests may be refused before the run stops: a wrong or missing
# key would otherwise turn the whole budget into 401s. Shared by the run's processes (at least one each).
KEY_REFUSALS_TO_STOP = 3


def refused_message(target: Target, status: int) -> str:
    """The one line a run stops with when the target refuses its key (or needs one it was not given)."""
    if target.api_key_env is None and not target.embedded:
        fix = "does it need a key? pass --api-key-env VAR" if target.source == "command line" \
            else f"does it need a key? set api_key_env in {target.source}"
    else:
        option = "--api-key-env" if target.source == "command line" else f"{target.source}.api_key_env"
        fix = f"is {option} right? ({target.api_key_env} is sent in {target.auth.describe()})"
    return f"{KEY_REFUSED_PREFIX} with {status}: {fix}"


@dataclass
class _Outcome:
    """One attempt: the exchange and, for 429/503, the wait the target asked for; ``stale`` says why
    a kept-alive connection failed before any answer (the request is sent again, see ``send``)."""

    exchange: Exchange
    retry_after: float | None = None
    stale: str | None = None


class _NewConnection:
    """httpcore's trace of one request: whether it opened a TCP connection or went out on a kept-alive one."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen = False

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith(("connect_tcp.started", "connect_unix_socket.started")):
            self.seen = True


class _SetCookiesOnly(httpx.Cookies):
    """The client's cookie jar, fed only answers that set a cookie (the others leave it as it is)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


_URLS_KEPT = 64  # absolute URLs a client keeps (ResponsesClient._url)


class ResponsesClient:
    """One httpx client per run, bound to one target."""

    def __init__(
        self,
        target: Target,
        budget: BudgetTracker | Budget | None = None,
        recorder: Recorder | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        in_flight: int = 1,
    ) -> None:
        """``in_flight``: at most this many requests under way at once (tests run at once share the
        client: ``--concurrency``); the rate limit holds across all of them."""
        base_url = target.resolved_base_url(environ)
        if base_url is None:
            raise ValueError(
                f"target {target.name} has no URL yet: start the reference server and pass "
                "target.with_base_url(url)"
                if target.embedded
                else f"target {target.name} has no base URL (see config.skip_reason)"
            )
        problem = url_problem(base_url)
        if problem:  # config refuses these first; a URL built in code must not slip by either
            raise ValueError(f"target {target.name}: {problem}")
        self.target = target
        self.base_url = base_url
        if isinstance(budget, BudgetTracker):
            self.budget = budget
        else:
            self.budget = BudgetTracker(budget or target.budget, source=f"{target.source}.budget")
        self.recorder = recorder
        self._sleep = sleep
        self._limiter = RateLimiter(self.budget.budget.requests_per_second, sleep=sleep)
        self._slots = threading.BoundedSemaphore(max(1, in_flight))
        self._api_key = target.api_key(environ)
        register_secret(self._api_key)
        self._key_refusals = 0  # of the first authenticated requests, how many were refused
        self._key_accepted = False
        self._refusals_to_stop = max(1, KEY_REFUSALS_TO_STOP // max(1, self.budget.budget.shared_by))
        self._ids = itertools.count(1)
        self._interrupted = threading.Event()
        t = target.timeouts
        self._deadline = ExchangeDeadline()
        self._watchdog = Watchdog()
        self._http = httpx.Client(
            base_url=base_url,
            # only codings respcheck inflates within bounds (httpx would add br/zstd when installed)
            headers={"user-agent": f"respcheck/{__version__}", "accept-encoding": ACCEPTED_ENCODINGS,
                     **dict(target.headers)},
            timeout=httpx.Timeout(connect=t.connect, read=t.first_byte, write=t.total, pool=t.connect),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20,  # httpx's defaults
                                keepalive_expiry=KEEPALIVE_S),
            transport=transport,
            follow_redirects=False,
            trust_env=not _is_loopback(base_url),  # a proxy from the environment must not catch 127.0.0.1
        )
        # every socket operation of an exchange ends by its total deadline, headers included
        # (httpx keeps the default transport and the proxy ones from the environment privately)
        for pool in (self._http._transport, *self._http._mounts.values()):
            bound_transport(pool, self._deadline)
        # httpx runs every answer through http.cookiejar (~50 us), Set-Cookie or not: only those with one
        if isinstance(getattr(self._http, "_cookies", None), httpx.Cookies):
            self._http._cookies = _SetCookiesOnly(self._http._cookies)
        self._urls: dict[str, httpx.URL] = {}  # path -> absolute URL (see _url)

    # -- endpoints ---------------------------------------------------------------------------

    def create(self, body: Mapping[str, Any], *, stream: bool | None = None,
               headers: Mapping[str, str] | None = None) -> Exchange:
        """POST /responses (a stream when ``stream`` or ``body["stream"]`` is true)."""
        payload = dict(body)
        if stream is not None:
            payload["stream"] = stream
        return self.send("POST", "/responses", json=payload, headers=headers)

    def retrieve(self, response_id: str, *, stream: bool = False, starting_after: int | None = None,
                 include: list[str] | None = None, headers: Mapping[str, str] | None = None) -> Exchange:
        """GET /responses/{id}; with ``stream`` a (resumed) event stream."""
        params: dict[str, Any] = {}
        if stream:
            params["stream"] = "true"
        if starting_after is not None:
            params["starting_after"] = starting_after
        if include:
            params["include[]"] = include
        return self._on_id("GET", response_id, "", params=params, headers=headers)

    def cancel(self, response_id: str, *, headers: Mapping[str, str] | None = None) -> Exchange:
        return self._on_id("POST", response_id, "/cancel", headers=headers)

    def delete(self, response_id: str, *, headers: Mapping[str, str] | None = None) -> Exchange:
        return self._on_id("DELETE", response_id, "", headers=headers)

    def input_items(self, response_id: str, *, limit: int | None = None, after: str | None = None,
                    before: str | None = None, order: str | None = None, include: list[str] | None = None,
                    headers: Mapping[str, str] | None = None) -> Exchange:
        params = {"limit": limit, "after": after, "before": before, "order": order, "include[]": include}
        return self._on_id("GET", response_id, "/input_items",
                           params={k: v for k, v in params.items() if v is not None}, headers=headers)

    def _on_id(self, method: str, response_id: str, suffix: str, **kwargs: Any) -> Exchange:
        """A request on /responses/{id}[suffix]; an id that cannot be one path segment is refused
        (an exchange that was never sent, whose ``broken`` says why) instead of leaving that path."""
        try:
            segment = _seg(response_id)
        except UnusableId as exc:
            path = f"{self._http.base_url.path}responses/{{id}}{suffix}"
            ex = Exchange(id=self._next_id(), request=Request(method, path),
                          status=None, provider=self.target.name, broken=f"not sent: {exc}")
            if self.recorder is not None:
                self.recorder(ex)
            return ex
        return self.send(method, f"/responses/{segment}{suffix}", **kwargs)

    def input_tokens(self, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None) -> Exchange:
        return self.send("POST", "/responses/input_tokens", json=dict(body), headers=headers)

    def compact(self, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None) -> Exchange:
        return self.send("POST", "/responses/compact", json=dict(body), headers=headers)

    # -- the raw request -------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        content: bytes | str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        key: str | None = None,
        retry: bool = True,
    ) -> Exchange:
        """Any request, relative to the base URL (error tests: wrong method, bad JSON, no key...).

        The key goes where the target's ``auth`` says (a header, or a query parameter); ``auth=False``
        sends none, ``key`` sends that one instead (the wrong-key test); a header given in ``headers``
        replaces the default. 429 and 503 are retried (``retry=False`` returns the first answer); a
        request a kept-alive connection dropped unanswered is sent again on a new one (``STALE_RESENDS``).
        """
        retries = self.target.retries if retry else None
        attempts = 1 + (retries.max if retries else 0)
        waited: list[str] = []
        resent: list[str] = []
        attempt = 0
        while True:
            if self._interrupted.is_set():
                raise RunInterrupted("the run was interrupted: no more requests are sent")
            self.budget.charge_request(retry=attempt > 0 or bool(resent))
            credential = (key or self._api_key) if auth else None
            with self._slots:  # the slot first: a request the limiter let go is sent at once
                self._limiter.acquire()
                outcome = self._attempt(method, path, json, content, params, headers, credential)
            if outcome.stale is not None and len(resent) < STALE_RESENDS:
                resent.append(outcome.stale)  # never answered: not recorded, sent again at once
                continue
            ex = outcome.exchange
            if resent:
                ex.notes.append(f"sent again on a new connection: the target closed the kept-alive one "
                                f"it went out on without answering ({'; '.join(resent)})")
            if waited:
                ex.notes.append(f"attempt {attempt + 1} of {attempts}, after {'; '.join(waited)}")
            self._charge_usage(ex)
            if self.recorder is not None:
                self.recorder(ex)
            if auth and key is None:
                self._judge_key(ex)
            if ex.status not in RETRY_STATUSES or attempt == attempts - 1 or retries is None:
                return ex
            wait = _retry_wait(outcome.retry_after, attempt, retries.max_wait)
            waited.append(f"{ex.status} (waited {wait:g} s)")
            self._sleep(wait)
            attempt += 1

    def _judge_key(self, ex: Exchange) -> None:
        """Stop the run when the first requests sent with the target's own key are all refused."""
        if self._key_accepted or ex.status is None:
            return
        if ex.status not in REFUSED_STATUSES:
            self._key_accepted = True
            return
        self._key_refusals += 1
        if self._key_refusals >= self._refusals_to_stop:
            raise KeyRefused(refused_message(self.target, ex.status))

    def interrupt(self) -> None:
        """Send nothing more: every later ``send`` raises ``RunInterrupted`` (what is under way ends by
        its own timeouts). The run calls it on Ctrl-C, so tests running at once stop at their next
        request instead of each running to its end."""
        self._interrupted.set()

    @property
    def key_accepted(self) -> bool:
        """Whether the target has answered a request sent with its key with anything but a refusal."""
        return self._key_accepted

    @property
    def spend(self) -> Spend:
        return self.budget.spend

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ResponsesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one attempt -----------------------------------------------------------------------

    def _attempt(self, method: str, path: str, body: Any, content: bytes | str | None,
                 params: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
                 credential: str | None) -> _Outcome:
        t = self.target.timeouts
        started = time.monotonic()
        deadline = started + t.total
        # httpcore reads this dict when it waits for the headers and again when the body starts,
        # so changing "read" after the headers gives the body its own (between_events) timeout.
        timeouts = {"connect": t.connect, "read": min(t.first_byte, t.total), "write": t.total,
                    "pool": t.connect}
        opened = _NewConnection()
        request = self._http.build_request(
            method, self._url(path),
            json=None if body is _UNSET else body,
            content=content,
            params=self._params(params, credential),
            headers=self._headers(headers, credential),
            extensions={"timeout": timeouts, "trace": opened.trace},
        )
        record = Request(
            method=method.upper(),
            path=request.url.raw_path.decode("ascii").split("?", 1)[0],  # as sent: escapes kept
            query=_query_dict(request.url),
            headers=redact_headers({k.lower(): v for k, v in request.headers.items()}),
            body=None if body is _UNSET else body,
        )
        if body is _UNSET and content is not None:
            record.body = _maybe_json(content)
        ex = Exchange(id=self._next_id(), request=record, status=None, provider=self.target.name)
        self._deadline.set(deadline)
        try:
            return self._exchange(ex, request, started, deadline, opened)
        finally:
            self._deadline.set(None)

    def _exchange(self, ex: Exchange, request: httpx.Request, started: float, deadline: float,
                  opened: _NewConnection) -> _Outcome:
        """Send ``request`` and read the answer into ``ex``, all of it by ``deadline``."""
        t = self.target.timeouts
        try:
            response = self._http.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise TargetUnreachable(str(request.url.copy_with(query=None)), failure_reason(exc)) from None
        except httpx.ReadTimeout:
            if time.monotonic() >= deadline - 0.01:  # the read was cut by the total, not first_byte
                return self._broken(ex, started, f"the exchange exceeded the total timeout of {t.total:g} s "
                                                 "before the response headers were complete (timeouts.total)")
            return self._broken(ex, started, f"no response headers within {min(t.first_byte, t.total):g} s "
                                             "(timeouts.first_byte)")
        except httpx.WriteTimeout:
            return self._broken(ex, started, f"sending the request took longer than {t.total:g} s "
                                             "(timeouts.total)")
        except httpx.PoolTimeout:
            return self._broken(ex, started, f"no free connection within {t.connect:g} s (timeouts.connect)")
        except httpx.TransportError as exc:
            cause = f"the connection failed before any response: {failure_reason(exc)}"
            outcome = self._broken(ex, started, cause)
            if not opened.seen and isinstance(exc, _STALE_ERRORS):
                outcome.stale = failure_reason(exc)
            return outcome
        try:
            ex.status = response.status_code
            fields = response.headers.multi_items()
            ex.headers = {k.lower(): v for k, v in fields[:MAX_HEADER_FIELDS]}
            timeouts = request.extensions["timeout"]
            timeouts["read"] = max(0.001, min(t.between_events, deadline - time.monotonic()))
            reader = BodyReader(self.target, ex, response, started, deadline, self._watchdog)
            reader.capped_by_total = timeouts["read"] < t.between_events
            if len(fields) > MAX_HEADER_FIELDS:
                ex.broken = f"the target sent {len(fields)} header fields (respcheck reads at most " \
                            f"{MAX_HEADER_FIELDS}); respcheck stopped there"
            else:
                reader.read()
        finally:
            response.close()
        if ex.status is not None and 300 <= ex.status < 400:
            ex.broken = _redirect_cause(ex) + (f"; then {ex.broken}" if ex.broken else "")
        ex.elapsed = time.monotonic() - started
        redact_exchange(ex, [self._api_key] if self._api_key else None)
        return _Outcome(ex, _parse_retry_after(ex.headers.get("retry-after")))

    def _url(self, path: str) -> httpx.URL:
        """``path`` under the base URL, as httpx joins them (``Client._merge_url``), made once per path:
        httpx building a request from a relative path parses it and the base again (~0.1 ms a request).
        Up to ``_URLS_KEPT`` are kept, then forgotten at once: paths with a response id come and go, the
        endpoints' fixed paths come back at the next request."""
        url = self._urls.get(path)
        if url is None:
            base = self._http.base_url
            url = base.copy_with(raw_path=base.raw_path + httpx.URL(path).raw_path.lstrip(b"/"))
            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            self._urls[path] = url
        return url

    def _headers(self, extra: Mapping[str, str] | None, credential: str | None) -> dict[str, str]:
        placed, _ = self.target.auth.placed(credential)
        headers = {name.lower(): value for name, value in placed.items()}
        for name, value in (extra or {}).items():
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
        return headers

    def _params(self, params: Mapping[str, Any] | None, credential: str | None) -> dict[str, Any] | None:
        _, placed = self.target.auth.placed(credential)
        return _clean_params({**(params or {}), **placed} if placed else params)

    def _broken(self, ex: Exchange, started: float, cause: str) -> _Outcome:
        ex.broken = cause
        ex.elapsed = time.monotonic() - started
        redact_exchange(ex, [self._api_key] if self._api_key else None)
        return _Outcome(ex)

    def _charge_usage(self, ex: Exchange) -> None:
        """Count the tokens the target reported: a JSON body's usage, or the terminal event's."""
        if ex.events is None:
            self.budget.charge_usage(ex.body)
            return
        for event in ex.events:
            data = event.json
            if isinstance(data, dict) and data.get("type") in _TERMINAL:
                self.budget.charge_usage(data.get("response"))

    def _next_id(self) -> str:
        return f"{self.target.name}/{os.getpid()}/{next(self._ids)}"


# -- helpers ------------------------------------------------------------------------------------


def _retry_wait(retry_after: float | None, attempt: int, cap: float) -> float:
    """Retry-After when the target sent one, else exponential backoff; never above ``cap``."""
    wanted = retry_after if retry_after is not None else 0.5 * (2**attempt)
    return max(0.0, min(wanted, cap))


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class UnusableId(ValueError):
    """An id that cannot be one path segment (empty): the request is refused, not sent."""


def _seg(value: str) -> str:
    """An id as exactly one path segment: '/', '?', '#' and the dot segments '.' and '..' (which a
    URL resolver would collapse, turning DELETE /responses/.. into DELETE /v1) are percent-encoded."""
    text = str(value)
    if not text:
        raise UnusableId("the response id is empty, so it cannot name a /responses/{id} path")
    if text.strip(".") == "":
        return text.replace(".", "%2E")
    return urllib.parse.quote(text, safe="")


def _redirect_cause(ex: Exchange) -> str:
    """What a 3xx answer is: a finding (the Responses API never redirects), never followed."""
    location = ex.headers.get("location")
    where = f" to {redact_url(location)}" if location else ""
    return (f"the target answered {ex.status} (a redirect{where}); respcheck follows no redirect, "
            "so the key is never sent elsewhere, and the Responses API never redirects")


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    as_text = {True: "true", False: "false"}
    return {k: (as_text[v] if isinstance(v, bool) else v) for k, v in params.items() if v is not None}


def _query_dict(url: httpx.URL) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in url.params.multi_items():
        if key in query:
            previous = query[key]
            query[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            query[key] = value
    return query


def _maybe_json(content: bytes | str) -> Any:
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_loopback(url: str) -> bool:
    host = httpx.URL(url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
