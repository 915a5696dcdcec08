"""The ids the reference server makes, shaped as OpenAI's (a prefix and 48 hex digits)."""

from __future__ import annotations

import os


def new_id(prefix: str) -> str:
    """An OpenAI-looking id: ``resp_``, ``msg_``, ``fc_``, ``rs_``, ``call_`` + 48 hex digits."""
    return f"{prefix}_{os.urandom(24).hex()}"
