"""Explain why an instance fails a schema, in the terms of the union member it meant to be.

The Responses schemas are full of unions discriminated by ``type`` (output items, content
parts, tools). When an item fails, "X is not valid under any of the given schemas" says
nothing, and a generic "best match" often descends into an unrelated member. Here, for a
failed ``anyOf``, we keep only the members whose ``type`` accepts the instance's ``type``
(the member the relay meant to send) and explain the failure inside those.

This works on jsonschema-rs's own errors (their ``kind`` carries each union member's
errors as ``context``), so explaining a failure costs microseconds, not the milliseconds
the pure-Python ``jsonschema`` needs: streams that fail on every event stay fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from respcheck import jsonpointer
from respcheck.jsontypes import clipped, json_type, shown

UNION_KINDS = ("AnyOf", "OneOfNotValid")
DISCRIMINATING_KINDS = ("Enum", "Constant")


@dataclass(frozen=True, slots=True)
class Problem:
    path: tuple[Any, ...]  # inside the validated instance
    text: str  # what is wrong there, e.g. "required property 'id' is missing"
    kind: str = ""  # the failed keyword's kind (Required, Type, Enum...)
    allowed: tuple[Any, ...] = ()  # an Enum's or a Constant's values (a caller may word them its way)

    @property
    def pointer(self) -> str:
        """Where, as a JSON pointer into the validated instance."""
        return jsonpointer.join("", *self.path)


def kind_name(error: Any) -> str:
    return type(error.kind).__name__


def leaf_errors(errors: Iterable[Any], schema: dict[str, Any] | None = None) -> list[Any]:
    """The specific failures behind ``errors``, unions resolved by their ``type`` discriminator
    (``schema``, the validated document, lets a tie be resolved by the properties each member
    declares)."""
    out: list[Any] = []
    for error in errors:
        out.extend(_resolve(error, schema))
    return out


def _resolve(error: Any, schema: dict[str, Any] | None) -> list[Any]:
    if kind_name(error) not in UNION_KINDS or not getattr(error.kind, "context", None):
        return [error]
    depth = len(error.instance_path)
    meant = [b for b in error.kind.context if b and not _rejects_discriminator(b, depth)]
    if not meant:
        return [error]  # no member accepts its type: described as an unknown type
    # Several members accept its type (e.g. the message shapes, the flat and the nested error
    # event): explain the one the instance looks like — the member declaring most of the keys it
    # has — and among those the one with the fewest failures. By failures alone, a flat error
    # event lacking code and param (2) would be explained as a nested one lacking error (1).
    keys = set(error.instance) if isinstance(error.instance, dict) else set()

    def closeness(branch: Any) -> tuple[int, int]:
        return (-len(keys & _declared(schema, branch, len(list(error.schema_path)))), len(branch))

    return leaf_errors(min(meant, key=closeness), schema)


def _declared(schema: dict[str, Any] | None, branch: list[Any], union_depth: int) -> set[str]:
    """The properties the union member behind ``branch`` declares (none known without the schema)."""
    if schema is None:
        return set()
    path = list(branch[0].schema_path)[: union_depth + 1]  # the union's path, then the member's index
    node: Any = schema
    for _ in range(8):  # a member may be a local $ref (to a $ref...): bounded, refs can loop
        for step in path:
            node = _child(node, step)
            if node is None:
                return set()
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not (isinstance(ref, str) and ref.startswith("#/")):
            break
        node, path = schema, [int(s) if s.isdigit() else s for s in ref[2:].split("/")]
    properties = node.get("properties") if isinstance(node, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _rejects_discriminator(branch: list[Any], depth: int) -> bool:
    """True when a union member rejects the instance's ``type`` value or its JSON type (a member
    that is itself a union of shapes, e.g. a tool item finished or running, when all of them do)."""
    for e in branch:
        rel = list(e.instance_path)[depth:]
        kind = kind_name(e)
        if rel == ["type"] and kind in DISCRIMINATING_KINDS:
            return True
        if rel == [] and (kind in DISCRIMINATING_KINDS or kind == "Type"):
            return True
        if rel == [] and kind in UNION_KINDS and _nested(e):
            return all(_rejects_discriminator(b, depth) for b in _nested(e))
    return False


def _nested(error: Any) -> list[list[Any]]:
    return [b for b in getattr(error.kind, "context", None) or () if b]


def union_kinds(error: Any) -> list[str]:
    """The ``type`` values a failed union's members accept (for "unknown type" messages)."""
    depth = len(error.instance_path)
    kinds: set[str] = set()
    for branch in getattr(error.kind, "context", None) or ():
        for e in branch:
            rel = list(e.instance_path)[depth:]
            if rel == [] and kind_name(e) in UNION_KINDS:  # a member that is a union of shapes
                kinds.update(union_kinds(e))
            if rel != ["type"]:
                continue
            if kind_name(e) == "Enum":
                kinds.update(v for v in e.kind.options if isinstance(v, str))
            elif kind_name(e) == "Constant" and isinstance(e.kind.expected_value, str):
                kinds.add(e.kind.expected_value)
    return sorted(kinds)


def describe(error: Any) -> str:
    """One jsonschema-rs error in plain words (without the location)."""
    kind, instance = kind_name(error), error.instance
    if kind == "Required":
        return f"required property {error.kind.property!r} is missing"
    if kind == "Type":
        types = sorted(error.kind.types, key=lambda t: (t == "null", t))
        got = "" if instance is None else f" ({shown(instance)})"
        return f"expected {' or '.join(types)}, got {json_type(instance)}{got}"
    if kind == "Enum":
        return f"{shown(instance)} is not one of {', '.join(shown(v) for v in error.kind.options)}"
    if kind == "Constant":
        return f"{shown(instance)} should be {shown(error.kind.expected_value)}"
    if kind in UNION_KINDS:
        kinds = union_kinds(error)
        if isinstance(instance, dict) and isinstance(instance.get("type"), str) and kinds:
            return f"unknown type {instance['type']!r} (expected one of: {', '.join(kinds)})"
        return f"{shown(instance)} matches none of the allowed shapes"
    if kind == "AdditionalProperties":
        return f"unexpected properties: {', '.join(repr(p) for p in error.kind.unexpected)}"
    return clipped(error.message, 160)


def allowed_values(error: Any) -> tuple[Any, ...]:
    """The values an Enum or a Constant error allows (empty for any other kind)."""
    kind = kind_name(error)
    if kind == "Enum":
        return tuple(error.kind.options)
    if kind == "Constant":
        return (error.kind.expected_value,)
    return ()


def problems(
    errors: Iterable[Any], limit: int | None = None, schema: dict[str, Any] | None = None
) -> list[Problem]:
    """The specific problems behind ``errors`` (jsonschema-rs errors), deepest first: all of them, or
    the first ``limit``.

    At one place, one problem (a null that fails both "type" and "enum" is said once, as a
    type error); several missing properties of one object are each said.
    """
    found = leaf_errors(errors, schema)
    found.sort(key=lambda e: (-len(e.instance_path), str(list(e.instance_path)), kind_name(e) != "Type"))
    out: list[Problem] = []
    for error in found:
        path, kind = tuple(error.instance_path), kind_name(error)
        if kind != "Required" and any(p.path == path for p in out):
            continue
        problem = Problem(path, describe(error), kind, allowed_values(error))
        if problem not in out:
            out.append(problem)
    return out[:limit]
