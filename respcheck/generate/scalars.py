"""Strategies for scalar schemas (numbers, strings) and for "any JSON value"."""

from __future__ import annotations

import math
import operator
import re
from functools import partial

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from respcheck.generate.vocabulary import NUMBER_KEYS, UnsupportedSchema, admits, json_key

TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


MAP_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


def any_json(max_leaves: int = 4) -> SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(-100, 100) | st.text(TEXT_ALPHABET, max_size=8)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(MAP_KEYS, inner, max_size=2),
        max_leaves=max_leaves,
    )


def numeric_bounds(node: dict, integer: bool) -> tuple[float | None, float | None, bool, bool]:
    low, high = node.get("minimum"), node.get("maximum")
    exclusive_low = exclusive_high = False
    if "exclusiveMinimum" in node and (low is None or node["exclusiveMinimum"] >= low):
        low, exclusive_low = node["exclusiveMinimum"], True
    if "exclusiveMaximum" in node and (high is None or node["exclusiveMaximum"] <= high):
        high, exclusive_high = node["exclusiveMaximum"], True
    if integer:
        if low is not None:
            low = math.floor(low) + 1 if exclusive_low and float(low).is_integer() else math.ceil(low)
        if high is not None:
            high = math.ceil(high) - 1 if exclusive_high and float(high).is_integer() else math.floor(high)
        exclusive_low = exclusive_high = False
    return low, high, exclusive_low, exclusive_high


def default_span(low: float | None, high: float | None, span: int) -> tuple[float, float]:
    if low is None and high is None:
        return -span, span
    if low is None:
        assert high is not None
        return high - 2 * span, high
    if high is None:
        return low, low + 2 * span
    return low, high


def integer_strategy(node: dict, span: int) -> SearchStrategy:
    """Integers within the bounds (within +-span of them, or of 0, where a side is open)."""
    low, high, _, _ = numeric_bounds(node, integer=True)
    low, high = default_span(low, high, span)
    low, high = int(low), int(high)
    step = node.get("multipleOf")
    if step is None:
        return st.integers(low, high) if low <= high else st.nothing()
    if float(step).is_integer():
        step = int(step)
        first, last = -(-low // step), high // step
        return st.integers(first, last).map(partial(operator.mul, step)) if first <= last else st.nothing()
    # A fractional step: integers that happen to be multiples of it.
    return st.integers(low, high).filter(partial(is_multiple, step=step)) if low <= high else st.nothing()


def number_strategy(node: dict, span: int) -> SearchStrategy:
    """Integers and floats within the bounds (open sides as for ``integer_strategy``)."""
    low, high, exclusive_low, exclusive_high = numeric_bounds(node, integer=False)
    low, high = default_span(low, high, span)
    step = node.get("multipleOf")
    if step is not None:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            return st.nothing()

        def multiple_inside(value: float) -> bool:
            return is_multiple(value, step) and within_bounds(value, node)

        return st.integers(first, last).map(partial(operator.mul, step)).filter(multiple_inside)
    floats = st.floats(
        low,
        high,
        exclude_min=exclusive_low,
        exclude_max=exclusive_high,
        allow_nan=False,
        allow_infinity=False,
    )
    int_low, int_high, _, _ = numeric_bounds(node, integer=True)
    int_low, int_high = default_span(int_low, int_high, span)
    if int_low <= int_high:
        return st.integers(int(int_low), int(int_high)) | floats
    return floats


def all_unique(values: list) -> bool:
    return len({json_key(v) for v in values}) == len(values)


def is_multiple(value: float, step: float) -> bool:
    # The same test jsonschema applies.
    if isinstance(step, float):
        quotient = value / step
        try:
            return int(quotient) == quotient
        except OverflowError:
            return False
    return value % step == 0


def within_bounds(value: float, node: dict) -> bool:
    return admits({k: node[k] for k in NUMBER_KEYS if k in node and k != "multipleOf"}, value)


FORMATS: dict[str, SearchStrategy] = {
    "uri": st.builds(
        lambda host, path: f"https://{host}.example.com/{path}",
        st.sampled_from(["img", "files", "api"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=8),
    ),
    "date-time": st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    "date": st.dates().map(lambda d: d.isoformat()),
    "email": st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).map(
        lambda u: f"{u}@example.com"
    ),
    "uuid": st.uuids().map(str),
}


def string_strategy(node: dict, pointer: str, max_string: int) -> SearchStrategy:
    """Strings within the length limits (capped at ``max_string`` unless minLength needs more)."""
    min_length = node.get("minLength", 0)
    max_length = node.get("maxLength", math.inf)
    if min_length > max_length:
        return st.nothing()

    def fits(text: str) -> bool:
        return min_length <= len(text) <= max_length

    if "pattern" in node:
        try:
            # ASCII classes: ECMA-262's \d and \w (what jsonschema-rs implements) are ASCII-only.
            regex = re.compile(node["pattern"], re.ASCII)
        except re.error as exc:
            raise UnsupportedSchema("pattern", pointer, f"not a Python-compatible regex: {exc}") from None
        # fullmatch strings also satisfy JSON Schema's unanchored search.
        return st.from_regex(regex, fullmatch=True).filter(fits)
    fmt = node.get("format")
    if fmt in FORMATS:
        return FORMATS[fmt].filter(fits)
    cap = min(max_length, max(min_length, max_string))
    return st.text(TEXT_ALPHABET, min_size=min_length, max_size=int(cap))
