"""Reading a request's JSON the way OpenAI does: the body parsed within bounds (size, depth, huge
numbers, lone surrogates: each a 400 naming the field), and small typed readers of parameters
that raise the 400 naming the first bad one (``optional_param``, ``required_param``, ...).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from respcheck import jsonpointer
from respcheck.jsontypes import json_type
from respcheck.server.errors import (
    invalid_type,
    invalid_value,
    lone_surrogate,
    missing_parameter,
    nested_too_deeply,
    number_out_of_range,
    unknown_parameter,
    unparseable_json,
)

# Request bodies: the largest accepted (OpenAI bounds a request's total payload at 50 MB), and
# the deepest nesting (no parameter needs more; structured-output schemas stop at 10 levels).
# Both keep every later step (validation, tokenising, storing) bounded and recursion-free.
MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_JSON_DEPTH = 64
LARGEST_INTEGER = 2**64
PARAM_LIMIT = 120  # characters of a field path an error message shows
_SURROGATE = re.compile("[\ud800-\udfff]")
# ---------------------------------------------------------------- small typed readers


def optional_param(body: dict[str, Any], name: str, expected: str, parent: str = "") -> Any:
    """``body[name]`` when it has the JSON type ``expected`` (an integer is a number), None when
    absent or null; any other value is refused with OpenAI's ``invalid_type`` error.

    ``parent`` is where ``body`` sits in the request (``tools[0]``), for the error's ``param``.
    """
    value = body.get(name)
    if value is None:
        return None
    actual = json_type(value)
    if actual != expected and not (expected == "number" and actual == "integer"):
        raise invalid_type(f"{parent}.{name}" if parent else name, expected, value)
    return value


def required_param(body: dict[str, Any], name: str, expected: str, parent: str = "") -> Any:
    """Like ``optional_param``, but absent or null is OpenAI's ``missing_required_parameter``."""
    if body.get(name) is None:
        raise missing_parameter(f"{parent}.{name}" if parent else name)
    return optional_param(body, name, expected, parent)


def reject_unknown(body: dict[str, Any], known: frozenset[str]) -> None:
    """Refuse the first top-level parameter not in ``known`` (OpenAI's ``unknown_parameter``)."""
    for name in body:
        if name not in known:
            raise unknown_parameter(name)


def check_range(name: str, value: float, low: float, high: float, kind: str = "decimal") -> None:
    if value < low:
        raise invalid_value(
            name,
            f"Invalid '{name}': {kind} below minimum value. Expected a value >= {_num(low)}, "
            f"but got {_num(value)} instead.",
            code=f"{kind}_below_min_value",
        )
    if value > high:
        raise invalid_value(
            name,
            f"Invalid '{name}': {kind} above maximum value. Expected a value <= {_num(high)}, "
            f"but got {_num(value)} instead.",
            code=f"{kind}_above_max_value",
        )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def one_of(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        options = ", ".join(f"'{a}'" for a in allowed[:-1]) + f", and '{allowed[-1]}'"
        raise invalid_value(name, f"Invalid value: '{value}'. Supported values are: {options}.")
    return value


# ---------------------------------------------------------------- the create request


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object body (strict JSON: Python's NaN / Infinity extensions are refused), every
    value of it checked by ``check_json_values``."""
    try:
        body = json.loads(raw or b"null", parse_constant=_reject_constant)
    except RecursionError:  # thousands of nested arrays: the decoder's stack ran out
        raise nested_too_deeply(None, MAX_JSON_DEPTH) from None
    except ValueError:  # includes integers of more than 4,300 digits
        raise unparseable_json() from None
    if not isinstance(body, dict):
        raise unparseable_json()
    check_json_values(body)
    return body


def check_json_values(body: dict[str, Any]) -> None:
    """Refuse what JSON can carry but no later step can handle: nesting deeper than
    ``MAX_JSON_DEPTH``, lone surrogates (``\\ud800``: not encodable, so neither storable nor
    sendable), integers beyond 64 bits and decimals that overflowed to infinity (``1e400``).

    Iterative, so a deep body can not exhaust the stack here either.
    """
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(body, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, dict):
            if len(path) >= MAX_JSON_DEPTH:
                raise nested_too_deeply(jsonpointer.dotted(path, PARAM_LIMIT), MAX_JSON_DEPTH)
            for key, child in value.items():
                if _SURROGATE.search(key):
                    raise lone_surrogate(jsonpointer.dotted((*path, key), PARAM_LIMIT))
                pending.append((child, (*path, key)))
        elif isinstance(value, list):
            if len(path) >= MAX_JSON_DEPTH:
                raise nested_too_deeply(jsonpointer.dotted(path, PARAM_LIMIT), MAX_JSON_DEPTH)
            pending.extend((child, (*path, i)) for i, child in enumerate(value))
        elif isinstance(value, str):
            if _SURROGATE.search(value):
                raise lone_surrogate(jsonpointer.dotted(path, PARAM_LIMIT))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) >= LARGEST_INTEGER:
            digits = len(str(abs(value)))
            raise number_out_of_range(jsonpointer.dotted(path, PARAM_LIMIT), f"a number of {digits} digits")
        elif isinstance(value, float) and not math.isfinite(value):
            where = jsonpointer.dotted(path, PARAM_LIMIT)
            raise number_out_of_range(where, "a number too large for a double")
