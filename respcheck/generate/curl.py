"""Print a request as a curl command a relay engineer can paste, with secrets replaced by a variable."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from respcheck.redact import SECRET_HEADERS  # credentials: their values never appear in the command

__all__ = ["SECRET_HEADERS", "to_curl"]


def to_curl(
    base_url: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    *,
    method: str | None = None,
    key_env: str = "OPENAI_API_KEY",
    with_key: bool = True,
) -> str:
    """A copy-pasteable curl command; credentials become ``$KEY_ENV`` (expanded by the user's shell).

    ``method`` defaults to POST with a body and GET without one. A JSON body is sent with ``-d`` and a
    ``Content-Type: application/json`` header unless one is given. ``with_key`` adds the
    ``Authorization: Bearer $KEY_ENV`` placeholder when ``headers`` carry no credential (turn it off
    to reproduce a request sent without a key).
    """
    url = base_url.rstrip("/") + "/" + path.lstrip("/") if path else base_url
    verb = method or ("POST" if body is not None else "GET")
    parts = ["curl", "-sS"]
    if verb != "GET" or body is not None:
        parts += ["-X", verb]
    parts.append(shlex.quote(url))
    given = dict(headers or {})
    if body is not None and not any(k.lower() == "content-type" for k in given):
        given["Content-Type"] = "application/json"
    if with_key and not any(k.lower() in SECRET_HEADERS for k in given):
        given["Authorization"] = "Bearer <redacted>"
    for name, value in given.items():
        parts += ["-H", _header(name, value, key_env)]
    if body is not None:
        if isinstance(body, bytes | bytearray):
            body = bytes(body).decode("utf-8", errors="replace")
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        parts += ["-d", shlex.quote(text)]
    return " ".join(parts)


def _header(name: str, value: str, key_env: str) -> str:
    lowered = name.lower()
    if lowered in SECRET_HEADERS:
        # Double quotes so the shell expands the variable; the real value is never printed.
        if lowered in ("authorization", "proxy-authorization"):
            scheme = value.split(" ", 1)[0] if " " in value else "Bearer"
            return f'"{name}: {scheme} ${key_env}"'
        return f'"{name}: ${key_env}"'
    return shlex.quote(f"{name}: {value}")
