"""JSON values in words: their type as JSON Schema names it, and how one reads in a message.

One definition of each for the whole package.
"""

from __future__ import annotations

import json
from typing import Any


def json_type(value: Any, *, integral_floats_are_integers: bool = False) -> str:
    """``null``, ``boolean``, ``integer``, ``number``, ``string``, ``array`` or ``object``.

    ``bool`` is checked before ``int`` (it is one in Python). JSON Schema counts ``1.0`` as an
    integer; pass ``integral_floats_are_integers`` for that reading (the schema compiler does).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if integral_floats_are_integers and value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def clipped(text: str, limit: int = 60) -> str:
    """``text`` as is, or cut to ``limit`` characters ending in ``...``: short enough for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any) -> str:
    """A JSON value as it reads in a message (strings quoted, cut to 60 characters)."""
    return clipped(json.dumps(value, ensure_ascii=False))
