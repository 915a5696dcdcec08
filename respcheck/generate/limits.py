"""What the schema compiler is told: how small examples stay (``Limits``) and how an override
replaces generation at a location (a strategy, a schema, ``OMIT``, or ``Always(...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis.strategies import SearchStrategy


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()


@dataclass(frozen=True, slots=True)
class Always:
    """Override that also forces an optional property to be present."""

    value: SearchStrategy | dict | bool


@dataclass(frozen=True, slots=True)
class Limits:
    max_items: int = 3  # array length cap (raised to minItems when needed)
    max_string: int = 12  # string length cap (raised to minLength when needed)
    max_map_entries: int = 3  # entries of free-form maps (additionalProperties only)
    max_depth: int = 3  # entries into recursive $ref targets along one path
    optional_halvings: int = 1  # each optional property appears with probability 2**-optional_halvings
    number_span: int = 1000  # unbounded numbers stay within +-number_span
    max_combinations: int = 256  # allOf distribution cap (product of unions)
