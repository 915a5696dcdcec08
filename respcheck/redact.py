"""The one place secrets are scrubbed.

Everything respcheck writes (exchanges, reports, HAR, logs, curl repros) passes
through here first. Two layers:

- by *name*: auth and cookie headers, and secret-looking query parameters
  (``key=``, ``api_key=``, ``token=``...), whatever their value;
- by *value*: every API key respcheck read from the environment is registered
  (``register_secret``) and any occurrence of it, in a URL, a body, an SSE
  event, a note or an error message, becomes ``[REDACTED]``. A hostile relay that
  echoes the key back in an error body is scrubbed too.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from respcheck.exchange import Exchange, SSEEvent, strict_json_line, to_json_line

MASK = "[REDACTED]"

# Header names whose value is a credential, whatever it looks like (lower-case).
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "openai-api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
    }
)

# Query parameter names whose value is a credential.
SECRET_PARAMS = frozenset(
    {"key", "api_key", "api-key", "apikey", "access_token", "token", "auth", "sig", "signature", "password"}
)

# Shorter values are not treated as secrets: masking every "ab" would destroy the record.
MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()  # every form of every registered secret
_raw_secrets: set[str] = set()  # the registered values themselves
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value (an API key read from the environment) so every later scrub removes it."""
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets.update(_variants(value))
        _raw_secrets.add(value)


def any_registered() -> bool:
    """Whether a secret is registered at all: until one is, scrubbing text changes nothing."""
    with _lock:
        return bool(_secrets or _raw_secrets)


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


@functools.lru_cache(maxsize=64)  # the client passes its key with every exchange it scrubs
def _variants(value: str) -> frozenset[str]:
    """The forms a key takes on the wire: as is, URL-encoded (either hex case), JSON-escaped (also with
    ``\\/``), and base64 (standard and URL-safe) at each of the three byte alignments, so a key inside
    any base64 text (HTTP Basic auth, an echoed ``Bearer <key>`` header) is found."""
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    forms |= {_lower_hex(f) for f in list(forms)}
    escaped = json.dumps(value)[1:-1]
    forms |= {escaped, escaped.replace("/", "\\/")}
    for user_pass in (f":{value}", f"{value}:"):  # HTTP Basic auth, masked whole
        forms.add(base64.b64encode(user_pass.encode()).decode().rstrip("="))
    for core in base64_cores(value):
        forms |= {core, core.translate(_URL_SAFE)}
    return frozenset(f for f in forms if len(f) >= MIN_SECRET_LENGTH)


_URL_SAFE = str.maketrans("+/", "-_")
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _lower_hex(text: str) -> str:
    return _PERCENT.sub(lambda m: m.group(0).lower(), text)


def base64_cores(value: str) -> list[str]:
    """The base64 characters that encode ``value`` whatever bytes precede it, one per alignment.

    base64 works in groups of 3 bytes. Behind 0, 1 or 2 other bytes the key starts at another point
    of a group; the groups that hold only key bytes encode the same way wherever the text is, so
    each alignment has one fixed run of characters (a few key bytes at either edge share a group
    with unknown bytes and are left out).
    """
    raw = value.encode()
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = -(-offset // 3) * 4  # skip the group that holds the filler bytes
        end = (offset + len(raw)) // 3 * 4  # drop the last group if it is partial
        if end - start >= MIN_SECRET_LENGTH:
            cores.append(encoded[start:end])
    return cores


class _Resolved(list):
    """Every secret form, longest first: computed once per record, then passed down as ``secrets``."""


def _all_secrets(extra: Iterable[str] | None) -> _Resolved:
    if isinstance(extra, _Resolved):
        return extra
    found = set(known_secrets())
    for value in extra or ():
        if value and len(value) >= MIN_SECRET_LENGTH:
            found.update(_variants(value))
    # longest first, so a value containing another is masked whole
    return _Resolved(sorted(found, key=len, reverse=True))


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every known secret (and ``secrets``) replaced by the mask."""
    for secret in _all_secrets(secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


# A quote cut out of a longer text (20 characters at a difference) can hold a piece of a key.
MIN_FRAGMENT = 8


def redact_quoted(text: str, secrets: Iterable[str] | None = None) -> str:
    """Text a message quotes from a target: every secret masked, and every run of ``MIN_FRAGMENT`` or
    more characters of one (a quote may start or end in the middle of a key)."""
    text = redact_text(text, secrets)
    if len(text) < MIN_FRAGMENT:
        return text
    with _lock:
        raw = set(_raw_secrets)
    if not isinstance(secrets, _Resolved):  # raw values given by the caller (a resolved list holds forms)
        raw.update(s for s in secrets or () if s and len(s) >= MIN_SECRET_LENGTH)
    for secret in sorted(raw, key=len, reverse=True):
        text = _mask_fragments(text, secret)
    return text


def _mask_fragments(text: str, secret: str) -> str:
    grams = _grams(secret)
    out, last, i = [], 0, 0
    while i <= len(text) - MIN_FRAGMENT:
        if text[i : i + MIN_FRAGMENT] not in grams:
            i += 1
            continue
        j = i + MIN_FRAGMENT
        while j < len(text) and text[i : j + 1] in secret:
            j += 1
        out += [text[last:i], MASK]
        last = i = j
    if not out:
        return text
    return "".join(out) + text[last:]


@functools.lru_cache(maxsize=256)
def _grams(secret: str) -> frozenset[str]:
    return frozenset(secret[i : i + MIN_FRAGMENT] for i in range(len(secret) - MIN_FRAGMENT + 1))


def redact_header(name: str, value: str, secrets: Iterable[str] | None = None) -> str:
    """One header value: credentials masked entirely (keeping an auth scheme word such as ``Bearer``)."""
    if name.lower() in SECRET_HEADERS:
        scheme, sep, _ = value.partition(" ")
        if sep and scheme.lower() in {"bearer", "basic", "token"}:
            return f"{scheme} {MASK}"
        return MASK
    return redact_text(value, secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] | None = None) -> dict[str, str]:
    secrets = _all_secrets(secrets)
    return {name: redact_header(name, value, secrets) for name, value in headers.items()}


def redact_query(query: Mapping[str, Any], secrets: Iterable[str] | None = None) -> dict[str, Any]:
    secrets = _all_secrets(secrets)
    return {
        name: (MASK if name.lower() in SECRET_PARAMS else redact_value(value, secrets))
        for name, value in query.items()
    }


def redact_url(url: str, secrets: Iterable[str] | None = None) -> str:
    """A URL with secret query parameters, userinfo passwords and known secrets masked."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # not parseable (e.g. already masked: "[REDACTED]" reads as an IPv6 host)
        return redact_text(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    query = parts.query
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if any(k.lower() in SECRET_PARAMS for k, _ in pairs):  # re-encode only when something is masked
        query = urllib.parse.urlencode(
            [(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="[]"
        )
    rebuilt = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return redact_text(rebuilt, secrets)


def redact_value(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """A JSON-like value with every string scrubbed (a copy)."""
    secrets = _all_secrets(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {redact_text(str(k), secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, secrets) for v in value]
    return value


def _contains_secret(value: Any, secrets: list[str]) -> bool:
    """Cheap pre-check: serialise once and search, instead of walking large bodies for nothing."""
    if value is None or not secrets:
        return False
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return any(s in text for s in secrets)


def redact_exchange(ex: Exchange, secrets: Iterable[str] | None = None) -> Exchange:
    """Scrub an exchange in place (request, headers, body, events, notes) and return it."""
    extra = every = _all_secrets(secrets)
    req = ex.request
    req.headers = redact_headers(req.headers, extra)
    req.query = redact_query(req.query, extra)
    req.path = redact_url(req.path, extra)
    if _contains_secret(req.body, every):
        req.body = redact_value(req.body, extra)
    ex.headers = redact_headers(ex.headers, extra)
    if _contains_secret(ex.body, every):
        ex.body = redact_value(ex.body, extra)
    if ex.body_text is not None:
        ex.body_text = redact_text(ex.body_text, extra)
    events = ex.events or ()
    if events and not _stream_is_clean(events, every):
        # one serialisation of every event's JSON: a secret in one event's JSON is in it too
        json_leaks = _contains_secret([event.json for event in events], every)
        for event in events:
            _redact_event(event, extra, every, json_leaks)
    for issue in ex.framing:
        issue.detail = redact_text(issue.detail, extra)
    ex.notes = [redact_text(n, extra) for n in ex.notes]
    if ex.broken is not None:
        ex.broken = redact_text(ex.broken, extra)
    return ex


def _stream_is_clean(events: list[SSEEvent], secrets: list[str]) -> bool:
    """Whether no event can hold a secret: one search of all their text as received (data, names,
    ids), and one of the JSON of those known only parsed (the live client keeps no data text once it
    parsed). Parsed JSON holds a secret its data text lacks only behind an escape (``_escape_may_hide``).
    Most streams hold none: this replaces a few searches per event."""
    if not secrets:
        return True
    parts: list[str] = []
    parsed_only: list[Any] = []
    for event in events:
        if event.raw_data is None:
            parsed_only.append(event.json)
        else:
            parts.append(event.raw_data)
        for value in (event.event, event.id, event.json_error):
            if value is not None:
                parts.append(value)
    text = "\n".join(parts)
    if _escape_may_hide(text, secrets) or any(s in text for s in secrets):
        return False
    return not parsed_only or not _contains_secret(parsed_only, secrets)


# \u escapes of printable ASCII (what keys are made of); JSON from ensure_ascii servers is full of
# escapes of other characters, which cannot spell a key
_PRINTABLE_ESCAPE = re.compile(r"\\u00[2-7][0-9A-Fa-f]")


def _escape_may_hide(text: str, secrets: list[str]) -> bool:
    """Whether a JSON escape in ``text`` could decode to part of a secret."""
    if "\\/" in text:
        return True
    if "\\u" not in text:
        return False
    return not all(s.isascii() for s in secrets) or _PRINTABLE_ESCAPE.search(text) is not None


def _redact_event(event: SSEEvent, extra: list[str], every: list[str], json_leaks: bool = True) -> None:
    """``json_leaks``: whether the JSON of the exchange's events holds a secret at all."""
    raw = event.raw_data
    if raw is not None and _contains_secret(raw, every):
        event.raw_data = redact_text(raw, extra)
    # the parsed JSON can hold the key only if the raw text does, unless an escape hid it there
    escaped = raw is None or raw != event.raw_data or _escape_may_hide(raw, every)
    if escaped and json_leaks and _contains_secret(event.json, every):
        event.json = redact_value(event.json, extra)
    for attr in ("event", "id", "json_error"):
        value = getattr(event, attr)
        if value is not None:
            setattr(event, attr, redact_text(value, extra))


def redact_record(record: Any, secrets: Iterable[str] | None = None) -> Any:
    """Any JSON-like record about to be written (a JSONL line, a HAR entry, a report), scrubbed.

    Returns a scrubbed copy, or the record itself when there is nothing to mask (the common case).

    Besides every known secret value, values under secret header or parameter names are masked
    (HAR writes headers and query strings as ``[{"name": ..., "value": ...}]`` lists).
    """
    return _redacted(record, secrets)[0]


def redact_record_line(record: Any, secrets: Iterable[str] | None = None) -> tuple[Any, str]:
    """``redact_record`` and what it returns as one line of strict JSON (``to_json_line``): one
    serialisation for both when there is nothing to mask (the common case)."""
    cleaned, text = _redacted(record, secrets)
    return cleaned, text if text is not None and cleaned is record else to_json_line(cleaned)


def _redacted(record: Any, secrets: Iterable[str] | None) -> tuple[Any, str | None]:
    """The scrubbed record, and the record's text as ``to_json_line`` writes it (None: not strict JSON)."""
    every = _all_secrets(secrets)
    # one serialisation answers "is a secret value, or an unmasked secret name, in here?"; usually
    # neither (a recorded request's Authorization header is masked already)
    line = strict_json_line(record)
    # NaN or Infinity from a target: to_json_line writes them as strings, but the text is looked through
    text = line if line is not None else json.dumps(record, ensure_ascii=False, default=str)
    values = any(s in text for s in every)
    if not values and not _unmasked_names(text):
        return record, line
    return _redact_record(record, every if values else _Resolved()), None


_SECRET_NAMES = SECRET_HEADERS | SECRET_PARAMS


def _caseless(name: str) -> str:
    """A pattern matching what ``str.lower()`` turns into ``name`` (the Kelvin sign lower-cases to k)."""
    return "".join(f"[{c}{c.upper()}{_KELVIN if c == 'k' else ''}]" if c.isalpha() else re.escape(c)
                   for c in name)


_KELVIN = "\u212a"


# A quoted secret name in a record's JSON text, as _redact_record compares names (lower-cased).
_NAME = re.compile('"(' + "|".join(_caseless(n) for n in sorted(_SECRET_NAMES)) + ')"')
# What follows a secret name used as a key, or as the name of a HAR name/value pair, when its value
# is masked the way _redact_record masks it (a header keeps its scheme word): masking again changes
# nothing.
_HEADER_MASKED = re.compile('(?:: |, "value": )"(?:(?i:bearer|basic|token) )?' + re.escape(MASK) + '"')
_PARAM_MASKED = re.compile('(?:: |, "value": )"' + re.escape(MASK) + '"')


def _unmasked_names(text: str) -> bool:
    """Whether a record's JSON text names a secret header or parameter whose value may not be masked
    yet: each quoted secret name must be followed by a masked value (anything else: walk the record)."""
    for name in _NAME.finditer(text):
        after = _HEADER_MASKED if name.group(1).lower() in SECRET_HEADERS else _PARAM_MASKED
        if not after.match(text, name.end()):
            return True
    return False


def _redact_record(value: Any, extra: list[str]) -> Any:
    if isinstance(value, dict):
        if _is_name_value_pair(value) and str(value["name"]).lower() in _SECRET_NAMES:
            masked = redact_header(str(value["name"]), str(value["value"]), extra)
            return {**value, "value": masked if str(value["name"]).lower() in SECRET_HEADERS else MASK}
        out = {}
        for k, v in value.items():
            key = redact_text(str(k), extra)
            if key.lower() in SECRET_HEADERS and isinstance(v, str):
                out[key] = redact_header(key, v, extra)
            else:
                out[key] = _redact_record(v, extra)
        return out
    if isinstance(value, list):
        return [_redact_record(v, extra) for v in value]
    if isinstance(value, str) and extra:
        return redact_text(value, extra)
    return value


def _is_name_value_pair(value: dict[str, Any]) -> bool:
    return "name" in value and "value" in value and isinstance(value.get("value"), str)


_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact_bearer_tokens(text: str) -> str:
    """Mask any ``Bearer <token>`` in free text (logs, curl commands), known secret or not."""
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", redact_text(text))
