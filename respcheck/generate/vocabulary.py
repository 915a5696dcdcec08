"""The JSON Schema vocabulary the compiler understands, and small pure helpers about schemas:
keyword sets, JSON pointers, types, JSON equality, reference analysis, and the validator document
(the schema rewritten so any subschema can be validated by pointer with jsonschema-rs)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

from respcheck import jsonpointer
from respcheck.jsontypes import json_type

# Keywords that never constrain an instance (under the default, non-asserting format vocabulary).
ANNOTATIONS = frozenset(
    {
        "$schema", "$id", "$anchor", "$comment", "$defs", "definitions", "title", "description",
        "default", "examples", "example", "deprecated", "readOnly", "writeOnly", "format",
        "contentMediaType", "contentEncoding", "discriminator", "nullable", "externalDocs", "xml",
    }
)  # fmt: skip
SUPPORTED = frozenset(
    {
        "type", "const", "enum", "anyOf", "oneOf", "allOf", "not", "$ref",
        "properties", "required", "additionalProperties", "propertyNames", "minProperties",
        "maxProperties", "items", "prefixItems", "minItems", "maxItems", "uniqueItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf",
    }
)  # fmt: skip
ALL_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})
# Keywords that say what type the author meant when ``type`` is absent.
OBJECT_KEYS = ("properties", "required", "additionalProperties", "propertyNames", "minProperties",
               "maxProperties")  # fmt: skip
ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")
STRING_KEYS = ("minLength", "maxLength", "pattern")
NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
# Keywords ``admits`` checks exactly on a literal (enum filtering needs no validator for these).
SCALAR_KEYS = frozenset(
    {
        "type",
        "const",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
    }
)
MARKER = "$respcheck_ptr"  # internal marker: "the subschema at this pointer" (never a recursion hop)


class UnsupportedSchema(ValueError):
    """A keyword (or combination) the compiler cannot generate for faithfully."""

    def __init__(self, keyword: str, pointer: str, detail: str = "") -> None:
        self.keyword = keyword
        self.pointer = pointer
        super().__init__(
            f"cannot generate for JSON Schema keyword {keyword!r} at {pointer}"
            + (f": {detail}" if detail else "")
        )


def child_pointer(pointer: str, *tokens: str | int) -> str:
    return jsonpointer.join(pointer, *tokens)


def def_name(pointer: str) -> str | None:
    """The ``$defs`` entry a pointer lies in, if any."""
    parts = pointer.split("/")
    if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("$defs", "definitions"):
        return jsonpointer.unescape(parts[2])
    return None


def json_type_of(value: Any) -> str:
    return json_type(value, integral_floats_are_integers=True)


def declared_types(node: dict) -> frozenset[str]:
    """The instance types a schema admits by its ``type`` keyword (integer is within number)."""
    if "type" not in node:
        return ALL_TYPES
    declared = node["type"]
    found = frozenset([declared] if isinstance(declared, str) else declared)
    return found | {"integer"} if "number" in found else found


def inferred_types(node: dict) -> frozenset[str]:
    """Types to *generate*: without ``type``, the keywords present say what the author meant."""
    if "type" in node:
        return declared_types(node)
    inferred = set()
    if any(k in node for k in OBJECT_KEYS):
        inferred.add("object")
    if any(k in node for k in ARRAY_KEYS):
        inferred.add("array")
    if any(k in node for k in STRING_KEYS):
        inferred.add("string")
    if any(k in node for k in NUMBER_KEYS):
        inferred.add("number")
    return frozenset(inferred) or ALL_TYPES


def json_key(value: Any) -> str:
    """Equality as JSON Schema sees it (``1 == 1.0``, ``true != 1``), as a hashable key."""
    return json.dumps(normalise_numbers(value), sort_keys=True)


def normalise_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalise_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise_numbers(v) for v in value]
    return value


def constraints_of(node: dict, drop: Iterable[str] = ()) -> dict:
    """The keywords of ``node`` that constrain instances (annotations and ``drop`` removed)."""
    dropped = set(drop)
    return {
        k: v
        for k, v in node.items()
        if k not in dropped and k not in ANNOTATIONS and not k.startswith("x-") and k != MARKER
    }


def without(node: dict, *keys: str) -> dict:
    return {k: v for k, v in node.items() if k not in keys}


class Unsatisfiable:
    """A const no value equals (from intersecting two different consts)."""


def admits(node: dict, value: Any) -> bool:
    """Check the scalar keywords (type and bounds) of a plain schema against a literal."""
    if "type" in node and json_type_of(value) not in declared_types(node):
        return False
    if "const" in node and (node["const"] is Unsatisfiable or json_key(node["const"]) != json_key(value)):
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        checks = (
            ("minimum", lambda b: value >= b),
            ("maximum", lambda b: value <= b),
            ("exclusiveMinimum", lambda b: value > b),
            ("exclusiveMaximum", lambda b: value < b),
        )
        return all(check(node[k]) for k, check in checks if k in node)
    if isinstance(value, str):
        return node.get("minLength", 0) <= len(value) <= node.get("maxLength", math.inf)
    return True


def references(node: Any, into_defs: bool = False) -> Iterable[str]:
    """The references a subschema makes (``$defs`` bodies count only when referenced, or if asked)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("enum", "const") and (into_defs or key not in ("$defs", "definitions")):
                yield from references(value, into_defs)
    elif isinstance(node, list):
        for item in node:
            yield from references(item, into_defs)


def recursive_refs(root: Any) -> frozenset[str]:
    """The ``$ref`` targets that can reach themselves through further ``$ref``s (any pointer, ``#`` too)."""
    targets = {r for r in references(root, into_defs=True) if r.startswith("#")}
    graph: dict[str, set[str]] = {}
    for target in targets:
        node = walk_pointer(root, target)
        graph[target] = {r for r in references(node) if r in targets} if node is not None else set()
    recursive = set()
    for start in graph:
        seen: set[str] = set()
        stack = list(graph[start])
        while stack:
            current = stack.pop()
            if current == start:
                recursive.add(start)
                break
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, ()))
    return frozenset(recursive)


def walk_pointer(root: Any, pointer: str) -> Any:
    node = root
    for token in pointer.split("/")[1:]:
        token = jsonpointer.unescape(token)
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node


ROOT_DEF = "__respcheck_root__"


def validator_pointer(pointer: str) -> str:
    if pointer == "#":
        return f"#/$defs/{ROOT_DEF}"
    if def_name(pointer) is not None and pointer.split("/")[1] == "$defs":
        return pointer
    return f"#/$defs/{ROOT_DEF}" + pointer[1:]


def rewrite_refs(node: Any) -> Any:
    """Point same-document ``$ref``s at their place in the validator document."""
    if isinstance(node, dict):
        return {
            k: (
                validator_pointer(v)
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else rewrite_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [rewrite_refs(x) for x in node]
    return node


def markers_to_refs(node: Any) -> Any:
    """Turn a synthesized node back into plain JSON Schema (markers become ``$ref``s)."""
    if isinstance(node, dict):
        if MARKER in node:
            return {"$ref": node[MARKER]}
        return {k: markers_to_refs(v) for k, v in node.items() if k != "x-parts"}
    if isinstance(node, list):
        return [markers_to_refs(x) for x in node]
    return node


def validator_document(root: dict) -> dict:
    """The document rewritten so any pointer into it can be validated as ``$defs`` entries."""
    if not isinstance(root, dict):
        return {"$defs": {ROOT_DEF: root}}
    body = rewrite_refs({k: v for k, v in root.items() if k not in ("$defs", "$id", "$schema")})
    defs = {name: rewrite_refs(sub) for name, sub in root.get("$defs", {}).items()}
    defs[ROOT_DEF] = body
    return {"$defs": defs}


def object_fields(root: dict, node: Any, pointer: str, depth: int) -> Iterator[tuple[str, Any, str]]:
    """(name, subschema, pointer of the object declaring it) for every property an object schema
    may have, through ``$ref`` and unions."""
    if depth > 16 or not isinstance(node, dict):
        return
    if "$ref" in node:
        target = jsonpointer.resolve(root, node["$ref"])
        yield from object_fields(root, target, node["$ref"], depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(keyword, []):
            yield from object_fields(root, sub, pointer, depth + 1)
    for name, sub in node.get("properties", {}).items():
        yield name, sub, pointer


def alternatives_of(root: dict, node: Any, depth: int) -> list[dict]:
    """The plain schemas a value may match (unions and references flattened)."""
    if depth > 16 or not isinstance(node, dict):
        return [{}] if node is True else []
    if "$ref" in node:
        target = alternatives_of(root, jsonpointer.resolve(root, node["$ref"]), depth + 1)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return [{**t, **rest} for t in target] if rest else target
    branches = [b for keyword in ("anyOf", "oneOf") for b in node.get(keyword, [])]
    if branches:
        rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        return [{**rest, **a} for b in branches for a in alternatives_of(root, b, depth + 1)]
    return [node]
