"""The one repro builder: a request as a curl command that, run as printed, sends it again.

Every output that shows a repro (the terminal's failure text, JUnit, the HTML page, Allure)
gets it from ``failure_repro`` (one exchange: ``curl_for_record``): the method, the full URL
(the target's origin plus the path as sent, base path included, plus the query), the body, the
headers the target needs, and the key only as ``$VAR`` (expanded by the user's shell, never
printed).
A test that made several calls (create, then delete, then retrieve) is reproduced by
``curl_sequence``: every call in order, a response id made by an earlier call threaded through
a shell variable. ``failure_repro`` picks those calls for a failed test (the exchanges its error
findings name, and every earlier call that made or touched a response they use).
"""

from __future__ import annotations

import json
import re
import shlex
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from respcheck.exchange import Exchange
from respcheck.redact import SECRET_HEADERS, redact_query, redact_text
from respcheck.replay.jsonl import exchange_to_record
from respcheck.session.target import key_env_of, origin_of

# Headers every client sends on its own (curl included): repeating them adds nothing.
_CLIENT_HEADERS = frozenset(
    {"host", "content-length", "user-agent", "accept-encoding", "connection", "accept", "transfer-encoding"}
)
MAX_FAILING = 3  # failing exchanges reproduced per failed test (each with the calls it needs)
_RESPONSE_ID = re.compile(r"\bresp_[A-Za-z0-9_-]+")


def to_curl(
    base_url: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    *,
    method: str | None = None,
    key_env: str = "OPENAI_API_KEY",
    with_key: bool = True,
    auth: Mapping[str, Any] | None = None,
) -> str:
    """A copy-pasteable curl command; credentials become ``$KEY_ENV`` (expanded by the user's shell).

    ``method`` defaults to POST with a body and GET without one. A JSON body is sent with ``-d`` and a
    ``Content-Type: application/json`` header unless one is given. ``with_key`` adds the
    ``Authorization: Bearer $KEY_ENV`` placeholder when ``headers`` carry no credential (turn it off
    to reproduce a request sent without a key). ``auth`` is the target's (``{header, scheme}`` or
    ``{query}``): the key goes where the target takes it, always as ``$KEY_ENV``.
    """
    auth = auth or {"header": "Authorization", "scheme": "Bearer"}
    key_header = str(auth.get("header") or "")
    url = base_url.rstrip("/") + "/" + path.lstrip("/") if path else base_url
    verb = method or ("POST" if body is not None else "GET")
    parts = ["curl", "-sS"]
    if verb != "GET" or body is not None:
        parts += ["-X", verb]
    quoted = _single_quoted(url)  # always quoted: a sequence splices ids into it (curl_sequence)
    if auth.get("query") and with_key:  # the key as a query parameter: expanded by the shell
        quoted = quoted[:-1] + ("&" if "?" in url else "?") + f"{auth['query']}='\"${key_env}\""
    parts.append(quoted)
    given = dict(headers or {})
    if body is not None and not any(k.lower() == "content-type" for k in given):
        given["Content-Type"] = "application/json"
    secret = SECRET_HEADERS | {key_header.lower()} if key_header else SECRET_HEADERS
    if with_key and key_header and not any(k.lower() in secret for k in given):
        given[key_header] = "<redacted>"
    for name, value in given.items():
        scheme = auth.get("scheme") if name.lower() == key_header.lower() else None
        parts += ["-H", _header(name, value, key_env, secret, scheme)]
    if body is not None:
        if isinstance(body, bytes | bytearray):
            body = bytes(body).decode("utf-8", errors="replace")
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        parts += ["-d", shlex.quote(text)]
    return " ".join(parts)


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _header(name: str, value: str, key_env: str, secret: frozenset[str] = SECRET_HEADERS,
            scheme: Any = None) -> str:
    lowered = name.lower()
    if lowered in secret:
        # Double quotes so the shell expands the variable; the real value is never printed.
        if lowered in ("authorization", "proxy-authorization"):
            scheme = value.split(" ", 1)[0] if " " in value else (scheme or "Bearer")
        return f'"{name}: {scheme} ${key_env}"' if scheme else f'"{name}: ${key_env}"'
    return shlex.quote(f"{name}: {value}")


def sent_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers a repro repeats: the target's own and the credentials (as ``$VAR``)."""
    return {_canonical(k): v for k, v in headers.items() if k.lower() not in _CLIENT_HEADERS}


def _canonical(name: str) -> str:
    """``content-type`` -> ``Content-Type`` (the client records names lower-cased)."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def curl_for_record(record: Mapping[str, Any], identity: Mapping[str, Any]) -> str:
    """The curl command replaying a recorded request against the target ``identity`` names."""
    req = record.get("request") or {}
    path = str(req.get("path", ""))
    auth = identity.get("auth") if isinstance(identity.get("auth"), dict) else None
    key_query = str((auth or {}).get("query") or "")
    given_query = {str(k): str(v) for k, v in (req.get("query") or {}).items()}
    query = redact_query({k: v for k, v in given_query.items() if k != key_query})
    if query:
        path += "?" + urllib.parse.urlencode(query, safe="[]")
    # A record that kept its headers says whether a key was sent (the no-key probes send none);
    # one that did not (an older recording) is assumed to have sent one.
    sent = req.get("headers")
    headers = sent_headers(sent) if isinstance(sent, dict) else {}
    key_header = str((auth or {}).get("header") or "").lower()
    if key_query:
        with_key = key_query in given_query
    else:
        with_key = not isinstance(sent, dict) or any(
            str(k).lower() in SECRET_HEADERS or str(k).lower() == key_header for k in sent)
    command = to_curl(origin_of(dict(identity)), path, req.get("body"), headers,
                      method=str(req.get("method", "GET")), key_env=key_env_of(dict(identity)),
                      with_key=with_key, auth=auth)
    return redact_text(command)


def exchange_record(exchange: Exchange) -> dict[str, Any]:
    """The recording of an exchange, with the request headers a repro needs."""
    record = exchange_to_record(exchange)
    record["request"]["headers"] = sent_headers(exchange.request.headers)
    return record


def curl_for_exchange(exchange: Exchange, identity: Mapping[str, Any]) -> str:
    return curl_for_record(exchange_record(exchange), identity)


def _created_id(record: Mapping[str, Any]) -> str | None:
    """The id of the response a recorded create made (JSON body or the stream's first event)."""
    req, resp = record.get("request") or {}, record.get("response") or {}
    if req.get("method") != "POST" or not str(req.get("path", "")).endswith("/responses"):
        return None
    body = resp.get("body")
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        return str(body["id"])
    for event in resp.get("events") or []:
        data = event.get("data")
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            found = data["response"].get("id")
            return str(found) if isinstance(found, str) else None
    return None


def _ids_in(record: Mapping[str, Any]) -> set[str]:
    return set(_RESPONSE_ID.findall(json.dumps(record.get("request") or {}))) | (
        {made} if (made := _created_id(record)) else set()
    )


def repro_chain(records: list[dict[str, Any]], failing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls that reproduce ``failing``: each failing call and every earlier call of the test
    that made or touched a response it uses (create -> delete -> retrieve), in order."""
    if not failing:
        return []
    last = max(records.index(r) for r in failing)
    wanted = set().union(*(_ids_in(r) for r in failing))
    return [r for r in records[: last + 1] if r in failing or _ids_in(r) & wanted]


def curl_sequence(records: Sequence[Mapping[str, Any]], identity: Mapping[str, Any]) -> list[str]:
    """The calls of a test in order. A response id that an earlier create made is read from that
    create's answer into ``$RESP_n`` and spliced into the later calls, so the sequence replays on
    a fresh server (where the ids differ)."""
    variables: dict[str, str] = {}
    commands = []
    for index, record in enumerate(records):
        command = curl_for_record(record, identity)
        for rid, var in variables.items():  # URL and body are single-quoted: close, expand, reopen
            command = command.replace(rid, "'\"${" + var + "}\"'")
        made = _created_id(record)
        if made and any(made in json.dumps(later) for later in records[index + 1:]):
            var = variables[made] = f"RESP_{len(variables) + 1}"
            command = f"{var}=$({command} | {_READ_ID})"
        commands.append(command)
    return commands


# Reads the response id from a create's answer: a JSON body, or the first event naming a response.
_READ_ID = (
    "python3 -c 'import json,sys; t=sys.stdin.read(); "
    "ds=[json.loads(l[5:]) for l in t.splitlines() if l.startswith(\"data:\") and l[5:].strip()[:1]==\"{\"]; "
    "b=ds[0][\"response\"] if ds else json.loads(t); print(b[\"id\"])'"
)


def failing_records(error_exchange_ids: Sequence[str | None], records: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """The exchanges worth replaying for a failed test: those its error findings name, else its last."""
    by_id = {r.get("id"): r for r in records}
    chosen = [by_id[i] for i in dict.fromkeys(error_exchange_ids) if i in by_id]
    if not chosen and records:
        chosen = [records[-1]]
    return chosen[:MAX_FAILING]


def failure_repro(error_exchange_ids: Sequence[str | None], records: list[dict[str, Any]],
               identity: Mapping[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """A failed test's repro: each call to replay, in order, with its curl command (ids threaded)."""
    replayed = repro_chain(records, failing_records(error_exchange_ids, records))
    return list(zip(replayed, curl_sequence(replayed, identity), strict=True))


def error_exchange_ids(findings: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """The exchanges a test's error findings are about (as the reports record findings)."""
    return [f.get("exchange_id") for f in findings if f.get("severity") == "error"]


def repro_text(commands: Sequence[str]) -> str:
    """The repro block of a failure message: one command, or the calls to run in order."""
    if not commands:
        return ""
    if len(commands) == 1:
        return "repro: " + commands[0]
    return f"repro ({len(commands)} calls, run in order in one shell):\n" + "\n".join(commands)


def with_repro(message: str, commands: Sequence[str]) -> str:
    """``message`` followed by its repro block, unless it already carries it (the failure text the
    pytest wiring wrote during the run does)."""
    block = repro_text(commands)
    if not block or block in message:
        return message
    return f"{message.rstrip()}\n{block}" if message.strip() else block
