"""``allOf`` merging: conjuncts become one plain schema; subschemas stay pointers into the document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from respcheck.generate.vocabulary import (
    MARKER,
    Unsatisfiable,
    UnsupportedSchema,
    child_pointer,
    json_key,
)


def pointerize(node: dict, pointer: str) -> dict:
    """Replace subschemas by pointers to their original location (so memo/overrides apply)."""
    if "x-parts" in node:
        return node  # already merged: its subschemas are pointers
    out = dict(node)
    if "properties" in out:
        out["properties"] = {
            name: {MARKER: child_pointer(pointer, "properties", name)} for name in out["properties"]
        }
    for keyword in ("items", "additionalProperties", "propertyNames"):
        if isinstance(out.get(keyword), dict):
            out[keyword] = {MARKER: child_pointer(pointer, keyword)}
    if "prefixItems" in out:
        out["prefixItems"] = [
            {MARKER: child_pointer(pointer, "prefixItems", i)} for i in range(len(out["prefixItems"]))
        ]
    out["x-parts"] = [pointer]
    return out


def merge_conjuncts(conjuncts: list[tuple[dict, str]], pointer: str) -> dict | None:
    """One plain schema equivalent to the conjunction, or None if it is unsatisfiable."""
    merged: dict[str, Any] = {"x-parts": []}
    for node, _ in conjuncts:
        for keyword, value in node.items():
            if keyword == "x-parts":
                merged["x-parts"] += value
            elif keyword == "type" and isinstance(value, str):
                merged[keyword] = (
                    merge_keyword(keyword, merged[keyword], value, pointer) if keyword in merged else [value]
                )
            elif keyword not in merged:
                merged[keyword] = value
            else:
                merged[keyword] = merge_keyword(keyword, merged[keyword], value, pointer)
    if "type" in merged:
        types = merged["type"]
        if not types:
            return None
        merged["type"] = sorted(types)
    # additionalProperties: false in one part closes the others' extra properties.
    closed = [node for node, _ in conjuncts if node.get("additionalProperties") is False]
    if closed:
        allowed = set.intersection(*(set(node.get("properties", {})) for node in closed))
        if not set(merged.get("required", ())) <= allowed:
            return None
        merged["properties"] = {k: v for k, v in merged.get("properties", {}).items() if k in allowed}
    return merged


def merge_keyword(keyword: str, old: Any, new: Any, pointer: str) -> Any:
    if keyword == "type":
        old_types = frozenset([old] if isinstance(old, str) else old)
        new_types = frozenset([new] if isinstance(new, str) else new)
        expand = lambda ts: ts | {"integer"} if "number" in ts else ts  # noqa: E731
        both = expand(old_types) & expand(new_types)
        if "number" in both and not ("number" in old_types and "number" in new_types):
            both -= {"number"}
        return sorted(both)
    if keyword == "properties":
        out = dict(old)
        for name, sub in new.items():
            out[name] = {"allOf": [out[name], sub]} if name in out else sub
        return out
    if keyword == "required":
        return list(dict.fromkeys([*old, *new]))
    if keyword in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
        return max(old, new)
    if keyword in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
        return min(old, new)
    if keyword == "uniqueItems":
        return old or new
    if keyword in ("items", "propertyNames"):
        return {"allOf": [old, new]}
    if keyword == "additionalProperties":
        if old is False or new is False:
            return False
        if old is True:
            return new
        if new is True:
            return old
        return {"allOf": [old, new]}
    if keyword in ("enum", "const"):
        old_values = old if keyword == "enum" else [old]
        new_keys = {json_key(v) for v in (new if keyword == "enum" else [new])}
        common = [v for v in old_values if json_key(v) in new_keys]
        return common if keyword == "enum" else (common[0] if common else Unsatisfiable)
    if old == new:
        return old
    raise UnsupportedSchema(keyword, pointer, f"allOf combines two different {keyword!r} values")


def cartesian(lists: list[list]) -> Iterable[tuple]:
    if not lists:
        yield ()
        return
    head, *tail = lists
    for item in head:
        for rest in cartesian(tail):
            yield (item, *rest)


def shapes_disjoint(a: tuple, b: tuple) -> bool:
    types_a, tags_a = a
    types_b, tags_b = b
    common = types_a & types_b
    if not common:
        return True
    if common == {"object"}:  # objects told apart by a required discriminator property
        return any(name in tags_b and not (values & tags_b[name]) for name, values in tags_a.items())
    return False
