"""The JSON type of a Python value, as JSON Schema names it: one definition for the whole package."""

from __future__ import annotations

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
