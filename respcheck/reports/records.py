"""The run's recorded exchanges (``exchanges.jsonl``), as the report writers read them.

Each line is an exchange record in the fixtures' JSONL format plus ``test`` (the pytest node id
that made the request) and ``target``. The plugin writes them redacted; the writers scrub again
anyway, because the page and the HAR are what people paste into tickets.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from respcheck.redact import redact_record, redact_text, redact_url
from respcheck.results import EXCHANGES_FILE

# Where the embedded reference server listens when started with ``respcheck serve`` (its default),
# so a repro of a ``reference`` run can be pasted against it.
REFERENCE_ORIGIN = "http://127.0.0.1:8787"


def load_records(report_dir: Path) -> list[dict[str, Any]]:
    """Every readable record of the run, redacted (a torn or garbled line is skipped, not fatal)."""
    path = report_dir / EXCHANGES_FILE
    if not path.is_file():
        return []
    records = []
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("request"), dict):
                records.append(redact_record(record))
    return records


def by_test(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records grouped by the node id of the test that made them, in the order they were made."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[str(record.get("test") or "")].append(record)
    return dict(grouped)


def _without_userinfo(url: str) -> tuple[str, str, str]:
    """(scheme, host[:port], rest) of a URL, any ``user:password@`` dropped. Parsed by hand: a
    redacted userinfo (``[REDACTED]@``) makes urllib take the brackets for an IPv6 address."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "", "", url
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return scheme, rest[:cut].rsplit("@", 1)[-1], rest[cut:]


def origin_of(target: dict[str, Any]) -> str:
    """scheme://host[:port] of the target (the recorded paths already carry any base path)."""
    scheme, host, _ = _without_userinfo(str(target.get("base_url") or ""))
    return f"{scheme}://{host}" if scheme and host else REFERENCE_ORIGIN


def shown_base_url(target: dict[str, Any]) -> str:
    """The target's base URL fit to print: no userinfo, secret query parameters masked."""
    base = str(target.get("base_url") or "")
    scheme, host, rest = _without_userinfo(base)
    if not scheme:
        return redact_text(base)
    try:
        return redact_url(f"{scheme}://{host}{rest}")
    except ValueError:  # not a URL urllib accepts: mask known secrets only
        return redact_text(f"{scheme}://{host}{rest}")


def key_env_of(target: dict[str, Any]) -> str:
    """The NAME of the variable holding the target's key, for repros (never the key itself)."""
    if target.get("api_key_env"):
        return str(target["api_key_env"])
    from respcheck.config import REFERENCE, REFERENCE_API_KEY_ENV, ConfigError, load_targets

    name = str(target.get("name") or "")
    if name == REFERENCE:
        return REFERENCE_API_KEY_ENV
    try:  # summaries written before api_key_env was recorded: ask targets.yaml
        found = load_targets().get(name).api_key_env
    except (ConfigError, KeyError, OSError, ValueError):
        found = None
    return found or "OPENAI_API_KEY"
