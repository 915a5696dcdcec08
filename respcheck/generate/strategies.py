"""Compile a JSON Schema (the draft 2020-12 subset the request schemas use) into a hypothesis strategy.

Why hand-written: hypothesis-jsonschema breaks on object schemas with current hypothesis and is
far too slow on the create-request schema. This compiler handles exactly the keywords listed in
``SUPPORTED``; any other validation keyword raises ``UnsupportedSchema`` naming it and its
pointer, so a schema change can never make the generator silently produce wrong data.

Design:
- every subschema is compiled once, memoized by (schema pointer, instance path, recursion budget);
- ``allOf`` is merged into plain schemas (``anyOf``/``oneOf`` inside it are distributed), with
  property subschemas kept as pointers into the document so memoization and overrides still apply;
- ``oneOf`` generates from one branch and, unless the branches are statically disjoint (different
  types, or a required discriminator with disjoint values), keeps only examples matching exactly
  one branch (checked with jsonschema-rs against the original branches);
- recursion is bounded: each entry into a recursive ``$ref`` target spends one
  unit of ``Limits.max_depth``; with none left the reference compiles to ``st.nothing()``, which prunes
  that union branch, optional property, or array item;
- examples stay small: arrays, strings and maps are capped, optional properties appear with
  probability ``2 ** -Limits.optional_halvings``, decided by one bitmask draw per object (drawing a
  boolean per property would double generation time: hypothesis' cost is per draw).

Overrides (``overrides=``) replace generation at a location. Keys are either schema pointers
(``"#/$defs/Metadata"``) or instance paths of nested object properties (``"/model"``,
``"/text/format"``). Values are a strategy, a replacement schema (a dict, compiled in the
document's context so its ``$ref``s resolve), ``OMIT`` (never generate that optional property), or
``Always(strategy_or_schema)`` (generate it and always include the property).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial, reduce
from typing import Any

import jsonschema_rs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = [
    "OMIT",
    "Always",
    "Limits",
    "SchemaCompiler",
    "UnsupportedSchema",
    "from_schema",
]

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
_OBJECT_KEYS = ("properties", "required", "additionalProperties", "propertyNames", "minProperties",
                "maxProperties")  # fmt: skip
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")
_STRING_KEYS = ("minLength", "maxLength", "pattern")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_SCALAR_KEYS = frozenset(
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
_PTR = "$respcheck_ptr"  # internal marker: "the subschema at this pointer" (never a recursion hop)


class UnsupportedSchema(ValueError):
    """A keyword (or combination) the compiler cannot generate for faithfully."""

    def __init__(self, keyword: str, pointer: str, detail: str = "") -> None:
        self.keyword = keyword
        self.pointer = pointer
        super().__init__(
            f"cannot generate for JSON Schema keyword {keyword!r} at {pointer}"
            + (f": {detail}" if detail else "")
        )


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
    max_depth: int = 3  # nesting levels of recursive $defs entries (each entry spends one)
    optional_halvings: int = 1  # each optional property appears with probability 2**-optional_halvings
    number_span: int = 1000  # unbounded numbers stay within +-number_span
    max_combinations: int = 256  # allOf distribution cap (product of unions)


def from_schema(
    schema: dict,
    *,
    pointer: str = "#",
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
) -> SearchStrategy:
    """A strategy for instances of ``schema`` (or of its subschema at ``pointer``)."""
    return SchemaCompiler(schema, overrides=overrides, limits=limits).strategy(pointer)


# ---------------------------------------------------------------------------------------------
# pointers


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _child(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + _escape(str(t)) for t in tokens)


def _def_name(pointer: str) -> str | None:
    """The ``$defs`` entry a pointer lies in, if any."""
    parts = pointer.split("/")
    if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("$defs", "definitions"):
        return _unescape(parts[2])
    return None


# ---------------------------------------------------------------------------------------------
# small strategies


_TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


def _any_json(max_leaves: int = 4) -> SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(-100, 100) | st.text(_TEXT_ALPHABET, max_size=8)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_KEY, inner, max_size=2),
        max_leaves=max_leaves,
    )


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _types(node: dict) -> frozenset[str]:
    """The instance types a schema admits by its ``type`` keyword (integer is within number)."""
    if "type" not in node:
        return ALL_TYPES
    declared = node["type"]
    found = frozenset([declared] if isinstance(declared, str) else declared)
    return found | {"integer"} if "number" in found else found


def _inferred_types(node: dict) -> frozenset[str]:
    """Types to *generate*: without ``type``, the keywords present say what the author meant."""
    if "type" in node:
        return _types(node)
    inferred = set()
    if any(k in node for k in _OBJECT_KEYS):
        inferred.add("object")
    if any(k in node for k in _ARRAY_KEYS):
        inferred.add("array")
    if any(k in node for k in _STRING_KEYS):
        inferred.add("string")
    if any(k in node for k in _NUMBER_KEYS):
        inferred.add("number")
    return frozenset(inferred) or ALL_TYPES


def _json_key(value: Any) -> str:
    """Equality as JSON Schema sees it (``1 == 1.0``, ``true != 1``), as a hashable key."""
    return json.dumps(_normalise_numbers(value), sort_keys=True)


def _normalise_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_numbers(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# the compiler


class SchemaCompiler:
    """Compiles subschemas of one document; reuse one instance to share its memo."""

    def __init__(
        self,
        root: dict,
        *,
        overrides: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.root = root
        self.limits = limits or Limits()
        overrides = dict(overrides or {})
        self._schema_overrides = {k: v for k, v in overrides.items() if k.startswith("#")}
        self._path_overrides = {k: v for k, v in overrides.items() if k.startswith("/")}
        bad = [k for k in overrides if not k.startswith(("#", "/"))]
        if bad:
            raise ValueError(
                f"override keys must be schema pointers ('#/...') or instance paths ('/...'): {bad}"
            )
        self._memo: dict[tuple, SearchStrategy] = {}
        self._validators: dict[str, Any] = {}
        self._recursive = _recursive_refs(root)
        self._validator_doc = _validator_document(root)
        self._extras: dict[str, Any] = {}  # replacement schemas, addressable as "#/$defs/<name>"
        self._extra_names: dict[int, str] = {}
        self._node_validators: dict[str, Any] = {}

    # public -----------------------------------------------------------------------------------

    def strategy(self, pointer: str = "#") -> SearchStrategy:
        """The strategy for the subschema at ``pointer`` (``"#"`` is the whole document)."""
        return self._compile(self.resolve(pointer), pointer, "", self.limits.max_depth)

    def resolve(self, pointer: str) -> Any:
        if not pointer.startswith("#"):
            raise UnsupportedSchema("$ref", pointer, "only same-document references ('#/...') are supported")
        tokens = [_unescape(t) for t in pointer.split("/")[1:]]
        node: Any = self.root
        if len(tokens) >= 2 and tokens[0] == "$defs" and tokens[1] in self._extras:
            node, tokens = self._extras[tokens[1]], tokens[2:]
        for token in tokens:
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise UnsupportedSchema("$ref", pointer, "the pointer does not resolve") from None
        return node

    def is_valid_at(self, pointer: str, instance: Any) -> bool:
        """Whether ``instance`` is valid against the subschema at ``pointer`` (jsonschema-rs)."""
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$defs": self._validator_doc["$defs"], "$ref": _validator_pointer(pointer)}
            validator = self._validators[pointer] = jsonschema_rs.validator_for(schema)
        return validator.is_valid(instance)

    def _is_valid(self, node: Any, pointer: str, instance: Any) -> bool:
        """Validate against ``node``, by its pointer when it is an original subschema."""
        try:
            original = self.resolve(pointer) is node
        except UnsupportedSchema:
            original = False
        if original:
            return self.is_valid_at(pointer, instance)
        key = _json_key(node)
        validator = self._node_validators.get(key)
        if validator is None:
            schema = _rewrite_refs(_markers_to_refs(node))
            if isinstance(schema, bool):
                schema = {} if schema else {"not": {}}
            validator = jsonschema_rs.validator_for({**schema, "$defs": self._validator_doc["$defs"]})
            self._node_validators[key] = validator
        return validator.is_valid(instance)

    def _register(self, schema: Any) -> str:
        """Give a replacement schema a pointer of its own (for memo, errors and validators)."""
        name = self._extra_names.get(id(schema))
        if name is None:
            name = f"__respcheck_override_{len(self._extras)}__"
            self._extras[name] = schema
            self._extra_names[id(schema)] = name
            self._validator_doc["$defs"][name] = _rewrite_refs(schema)
            self._validators.clear()  # later validators must see the new entry
        return f"#/$defs/{name}"

    # dispatch ---------------------------------------------------------------------------------

    def _compile(self, node: Any, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        override = self._schema_overrides.get(pointer)
        if override is not None:
            return self._compile_override(override, pointer, path, budget)
        if isinstance(node, dict) and _PTR in node:  # a merged property: compile the original
            target = node[_PTR]
            return self._compile(self.resolve(target), target, path, budget)
        key = (pointer, path, budget)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        strategy = self._compile_uncached(node, pointer, path, budget)
        self._memo[key] = strategy
        return strategy

    def _compile_override(self, override: Any, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        value = override.value if isinstance(override, Always) else override
        if value is OMIT:
            return st.nothing()
        if isinstance(value, SearchStrategy):
            return value
        if isinstance(value, dict | bool):
            # A replacement schema, compiled in the document's context at a pointer of its own.
            own = self._register(value)
            return self._compile(value, own, path, budget)
        raise TypeError(f"override at {path or pointer} must be a strategy, a schema, OMIT or Always(...)")

    def _compile_uncached(self, node: Any, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        if node is True:
            return _any_json()
        if node is False:
            return st.nothing()
        if not isinstance(node, dict):
            raise UnsupportedSchema(
                "(schema)", pointer, f"a schema must be an object or boolean, got {node!r}"
            )
        self._check_keywords(node, pointer)
        if "$ref" in node:
            if _constraints(node, drop=("$ref",)):
                return self._compile_all_of(node, pointer, path, budget)
            return self._compile_ref(node["$ref"], pointer, path, budget)
        if "allOf" in node:
            return self._compile_all_of(node, pointer, path, budget)
        if "anyOf" in node or "oneOf" in node:
            keyword = "oneOf" if "oneOf" in node else "anyOf"
            if _constraints(node, drop=(keyword,)):
                # Sibling constraints apply to every branch: let the allOf merge distribute them.
                return self._compile_all_of(node, pointer, path, budget)
            return self._compile_union(node[keyword], keyword, pointer, path, budget)
        if "not" in node:
            base = self._compile_uncached(_without(node, "not"), pointer, path, budget)
            negated, negated_pointer = node["not"], _child(pointer, "not")

            def not_negated(value: Any) -> bool:
                return not self._is_valid(negated, negated_pointer, value)

            return base.filter(not_negated)
        return self._compile_plain(node, pointer, path, budget)

    def _check_keywords(self, node: dict, pointer: str) -> None:
        for keyword in node:
            if keyword in SUPPORTED or keyword in ANNOTATIONS or keyword.startswith("x-") or keyword == _PTR:
                continue
            raise UnsupportedSchema(keyword, pointer)

    # $ref -------------------------------------------------------------------------------------

    def _compile_ref(self, ref: str, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        target = self.resolve(ref)
        if ref in self._recursive:
            if budget <= 0:
                return st.nothing()  # recursion bound reached: prune this branch
            budget -= 1
        return self._compile(target, ref, path, budget)

    # unions -----------------------------------------------------------------------------------

    def _compile_union(
        self, branches: list, keyword: str, pointer: str, path: str | None, budget: int
    ) -> SearchStrategy:
        pointers = [_child(pointer, keyword, i) for i in range(len(branches))]
        compiled = [self._compile(b, p, path, budget) for b, p in zip(branches, pointers, strict=True)]
        live = [(i, s) for i, s in enumerate(compiled) if not s.is_empty]
        if not live:
            return st.nothing()
        if keyword == "oneOf" and len(branches) > 1:
            disjoint = self._pairwise_disjoint(branches, pointers)
            live = [(i, s if disjoint else self._exactly_one(s, i, branches, pointers)) for i, s in live]
        return st.one_of([s for _, s in live])

    def _exactly_one(
        self, strategy: SearchStrategy, own: int, branches: list, pointers: list[str]
    ) -> SearchStrategy:
        others = [(b, p) for i, (b, p) in enumerate(zip(branches, pointers, strict=True)) if i != own]

        def in_no_other_branch(value: Any) -> bool:
            return not any(self._is_valid(b, p, value) for b, p in others)

        return strategy.filter(in_no_other_branch)

    def _pairwise_disjoint(self, branches: list, pointers: list[str]) -> bool:
        shapes = [self._shape(b, p) for b, p in zip(branches, pointers, strict=True)]
        return all(_shapes_disjoint(a, b) for i, a in enumerate(shapes) for b in shapes[i + 1 :])

    def _shape(self, node: Any, pointer: str, depth: int = 0) -> tuple[frozenset[str], dict[str, frozenset]]:
        """A cheap over-approximation: admitted types and required-property value sets (for const/enum)."""
        if depth > 8 or not isinstance(node, dict):
            return ALL_TYPES, {}
        if "$ref" in node and not _constraints(node, drop=("$ref",)):
            return self._shape(self.resolve(node["$ref"]), node["$ref"], depth + 1)
        types = _types(node) if "type" in node else ALL_TYPES
        if "$ref" in node:
            ref_types, ref_tags = self._shape(self.resolve(node["$ref"]), node["$ref"], depth + 1)
            types &= ref_types
        else:
            ref_tags = {}
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                subs = [
                    self._shape(b, _child(pointer, keyword, i), depth + 1)
                    for i, b in enumerate(node[keyword])
                ]
                types &= reduce(frozenset.union, (s[0] for s in subs), frozenset())
        if "enum" in node or "const" in node:
            values = node["enum"] if "enum" in node else [node["const"]]
            types &= frozenset(_type_of(v) for v in values) | (
                {"number"} if any(_type_of(v) == "integer" for v in values) else set()
            )
        tags = dict(ref_tags)
        required = set(node.get("required", ()))
        for name, sub in node.get("properties", {}).items():
            if name in required:
                values = self._literal_values(sub, depth)
                if values is not None:
                    tags[name] = values
        return types, tags

    def _literal_values(self, node: Any, depth: int) -> frozenset | None:
        while isinstance(node, dict) and "$ref" in node and len(node) == 1 and depth < 8:
            node, depth = self.resolve(node["$ref"]), depth + 1
        if not isinstance(node, dict):
            return None
        if "const" in node:
            return frozenset([_json_key(node["const"])])
        if "enum" in node:
            return frozenset(_json_key(v) for v in node["enum"])
        return None

    # allOf ------------------------------------------------------------------------------------

    def _compile_all_of(self, node: dict, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        """Merge a node's conjuncts (allOf parts, $ref, union + siblings) into a union of plain schemas."""
        conjuncts: list[tuple[dict, str]] = []
        unions: list[tuple[str, list[tuple[Any, str]]]] = []
        needs_verify = self._flatten(node, pointer, conjuncts, unions, depth=0)
        combinations = math.prod(len(branches) for _, branches in unions)
        if combinations > self.limits.max_combinations:
            raise UnsupportedSchema("allOf", pointer, f"{combinations} union combinations to distribute")
        alternatives: list[SearchStrategy] = []
        for choice in _product([branches for _, branches in unions]):
            extra_conjuncts: list[tuple[dict, str]] = []
            extra_unions: list = []
            for branch, branch_pointer in choice:
                needs_verify |= self._flatten(branch, branch_pointer, extra_conjuncts, extra_unions, depth=0)
            merged = _merge([*conjuncts, *extra_conjuncts], pointer)
            if merged is None:
                continue  # the conjuncts contradict each other (e.g. string and null)
            if extra_unions:  # a branch holds unions of its own: distribute those in turn
                nested = [{kw: [{_PTR: bp} for _, bp in branches]} for kw, branches in extra_unions]
                merged = {"allOf": [merged, *nested]}
            alternatives.append(self._compile_uncached(merged, pointer, path, budget))
        live = [a for a in alternatives if not a.is_empty]
        if not live:
            return st.nothing()
        strategy = st.one_of(live)
        if needs_verify:
            # oneOf exclusivity or `not` inside allOf: the merge over-approximates, so check the original.
            def valid_against_original(value: Any) -> bool:
                return self._is_valid(node, pointer, value)

            strategy = strategy.filter(valid_against_original)
        return strategy

    def _flatten(self, node: Any, pointer: str, conjuncts: list, unions: list, depth: int) -> bool:
        """Split a conjunct into plain parts and unions; True when exactness needs a final check."""
        if depth > 32:
            raise UnsupportedSchema("allOf", pointer, "reference cycle through allOf")
        if node is True:
            return False
        if node is False:
            conjuncts.append(({"type": []}, pointer))
            return False
        if not isinstance(node, dict):
            raise UnsupportedSchema(
                "(schema)", pointer, f"a schema must be an object or boolean, got {node!r}"
            )
        if _PTR in node:
            return self._flatten(self.resolve(node[_PTR]), node[_PTR], conjuncts, unions, depth + 1)
        self._check_keywords(node, pointer)
        needs_verify = False
        rest = dict(node)
        if "$ref" in rest:
            ref = rest.pop("$ref")
            needs_verify |= self._flatten(self.resolve(ref), ref, conjuncts, unions, depth + 1)
        for i, sub in enumerate(rest.pop("allOf", [])):
            needs_verify |= self._flatten(sub, _child(pointer, "allOf", i), conjuncts, unions, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            if keyword in rest:
                branches = rest.pop(keyword)
                unions.append((keyword, [(b, _child(pointer, keyword, i)) for i, b in enumerate(branches)]))
                needs_verify |= keyword == "oneOf"
        if "not" in rest:
            rest.pop("not")
            needs_verify = True
        if _constraints(rest):
            conjuncts.append((_pointerize(rest, pointer), pointer))
        return needs_verify

    # plain schemas ----------------------------------------------------------------------------

    def _compile_plain(self, node: dict, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        if "const" in node or "enum" in node:
            return self._compile_literals(node, pointer)
        builders: dict[str, Callable[[], SearchStrategy]] = {
            "null": st.none,
            "boolean": st.booleans,
            "integer": lambda: _integers(node, pointer, self.limits),
            "number": lambda: _numbers(node, pointer, self.limits),
            "string": lambda: _strings(node, pointer, self.limits),
            "array": lambda: self._compile_array(node, pointer, budget),
            "object": lambda: self._compile_object(node, pointer, path, budget),
        }
        types = _inferred_types(node)
        if "number" in types:
            types -= {"integer"}  # numbers() already yields integers too
        parts = [builders[t]() for t in sorted(types)]
        live = [p for p in parts if not p.is_empty]
        return st.one_of(live) if live else st.nothing()

    def _compile_literals(self, node: dict, pointer: str) -> SearchStrategy:
        values = [node["const"]] if "const" in node else list(node["enum"])
        # Keep only the values every other keyword (type, bounds, ...) admits: merged nodes are
        # checked against each original part, plain ones against themselves.
        parts = node.get("x-parts")
        if set(_constraints(node)) <= _SCALAR_KEYS:
            admitted = [v for v in values if _admits(node, v)]  # exact, and no validator to build
        elif parts:
            admitted = [v for v in values if _admits(node, v) and all(self.is_valid_at(p, v) for p in parts)]
        else:
            admitted = [v for v in values if self._is_valid(node, pointer, v)]
        return st.sampled_from(admitted) if admitted else st.nothing()

    def _compile_array(self, node: dict, pointer: str, budget: int) -> SearchStrategy:
        prefix = node.get("prefixItems", [])
        prefix_strategies = [
            self._compile(sub, _child(pointer, "prefixItems", i), None, budget)
            for i, sub in enumerate(prefix)
        ]
        items = node.get("items", True)
        item_strategy = self._compile(items, _child(pointer, "items"), None, budget)
        min_items = node.get("minItems", 0)
        max_items = node.get("maxItems", math.inf)
        if items is False:
            max_items = min(max_items, len(prefix))
        cap = min(max_items, max(min_items, self.limits.max_items))
        if min_items > cap:
            return st.nothing()
        unique = node.get("uniqueItems", False)
        # Required prefix positions must be generable; later positions may be dropped.
        head_len = min(len(prefix), min_items)
        if any(s.is_empty for s in prefix_strategies[:head_len]):
            return st.nothing()
        tail_min = max(0, min_items - len(prefix))
        if item_strategy.is_empty:
            if tail_min > 0:
                return st.nothing()
            cap = min(cap, len(prefix))

        if not prefix:
            return st.lists(
                item_strategy, min_size=min_items, max_size=int(cap), unique_by=_json_key if unique else None
            )
        lengths = st.integers(min_items, int(cap))
        tails = {
            n: st.lists(item_strategy, min_size=n, max_size=n) for n in range(1, int(cap) - len(prefix) + 1)
        }

        @st.composite
        def arrays(draw: Callable) -> list:
            length = draw(lengths)
            out = [draw(s) for s in prefix_strategies[: min(length, len(prefix))]]
            if length > len(prefix):
                out += draw(tails[length - len(prefix)])
            return out

        strategy = arrays()
        return strategy.filter(_all_unique) if unique else strategy

    def _compile_object(self, node: dict, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        properties: dict = node.get("properties", {})
        required = list(dict.fromkeys(node.get("required", [])))
        additional = node.get("additionalProperties", True)
        min_props = node.get("minProperties", 0)
        max_props = node.get("maxProperties", math.inf)

        names = node.get("propertyNames")
        names_pointer = _child(pointer, "propertyNames")

        def name_allowed(name: str) -> bool:
            return names is None or self._is_valid(names, names_pointer, name)

        forced: list[tuple[str, SearchStrategy]] = []
        optional: list[tuple[str, SearchStrategy]] = []
        for name in required:
            if not name_allowed(name):
                return st.nothing()
            if name in properties:
                strategy = self._compile_property(properties[name], pointer, name, path, budget)
            elif additional is False:
                return st.nothing()  # required but forbidden
            else:
                strategy = self._compile(additional, _child(pointer, "additionalProperties"), None, budget)
            if strategy.is_empty:
                return st.nothing()
            forced.append((name, strategy))
        for name, sub in properties.items():
            if name in required or not name_allowed(name):
                continue
            strategy = self._compile_property(sub, pointer, name, path, budget)
            if strategy.is_empty:
                continue
            if isinstance(self._property_override(sub, pointer, name, path), Always):
                forced.append((name, strategy))
            else:
                optional.append((name, strategy))
        if len(forced) > max_props:
            return st.nothing()

        extras: SearchStrategy | None = None
        if not properties and additional is not False:
            value_strategy = self._compile(additional, _child(pointer, "additionalProperties"), None, budget)
            key_strategy = (
                _KEY
                if names is None
                else self._compile(names, _child(pointer, "propertyNames"), None, budget)
            )
            taken = {name for name, _ in forced}

            def free_key(key: Any) -> bool:
                return isinstance(key, str) and key not in taken

            key_strategy = key_strategy.filter(free_key)
            room = min(max_props - len(forced), max(self.limits.max_map_entries, min_props - len(forced)))
            lower = max(0, min_props - len(forced))
            if not value_strategy.is_empty and room >= lower:
                extras = st.dictionaries(key_strategy, value_strategy, min_size=lower, max_size=int(room))
            elif lower > 0:
                return st.nothing()
        elif len(forced) + len(optional) < min_props:
            return st.nothing()

        # One draw decides which optional properties appear: it holds one mask of len(optional) bits
        # per halving, and a property appears when its bit is set in every mask. It shrinks towards
        # 0, i.e. towards the smallest object.
        width, halvings = len(optional), self.limits.optional_halvings
        all_set = (1 << width) - 1
        masks = st.integers(0, (1 << (width * halvings)) - 1) if width and halvings else st.just(all_set)

        @st.composite
        def objects(draw: Callable) -> dict:
            out = {name: draw(strategy) for name, strategy in forced}
            drawn = draw(masks)
            chosen = all_set
            for _ in range(halvings):
                chosen &= drawn
                drawn >>= width
            for position, (name, strategy) in enumerate(optional):
                if len(out) >= max_props:
                    break
                must = min_props - len(out) >= len(optional) - position
                if must or chosen >> position & 1:
                    out[name] = draw(strategy)
            if extras is not None:
                out.update(draw(extras))
            return out

        return objects()

    def _property_override(self, sub: Any, pointer: str, name: str, path: str | None) -> Any:
        child_path = self._child_path(path, name)
        if child_path is not None and child_path in self._path_overrides:
            return self._path_overrides[child_path]
        real = sub[_PTR] if isinstance(sub, dict) and _PTR in sub else _child(pointer, "properties", name)
        return self._schema_overrides.get(real)

    def _compile_property(
        self, sub: Any, pointer: str, name: str, path: str | None, budget: int
    ) -> SearchStrategy:
        child_path = self._child_path(path, name)
        if child_path is not None and child_path in self._path_overrides:
            return self._compile_override(self._path_overrides[child_path], pointer, child_path, budget)
        return self._compile(sub, _child(pointer, "properties", name), child_path, budget)

    def _child_path(self, path: str | None, name: str) -> str | None:
        """The instance path of a property, tracked only while an instance-path override lies below."""
        if path is None or not self._path_overrides:
            return None
        child = path + "/" + _escape(name)
        if any(k == child or k.startswith(child + "/") for k in self._path_overrides):
            return child
        return None


# ---------------------------------------------------------------------------------------------
# scalar builders


def _bounds(node: dict, integer: bool) -> tuple[float | None, float | None, bool, bool]:
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


def _default_span(low: float | None, high: float | None, span: int) -> tuple[float, float]:
    if low is None and high is None:
        return -span, span
    if low is None:
        return high - 2 * span, high  # type: ignore[operator]
    if high is None:
        return low, low + 2 * span
    return low, high


def _integers(node: dict, pointer: str, limits: Limits) -> SearchStrategy:
    low, high, _, _ = _bounds(node, integer=True)
    low, high = _default_span(low, high, limits.number_span)
    low, high = int(low), int(high)
    step = node.get("multipleOf")
    if step is None:
        return st.integers(low, high) if low <= high else st.nothing()
    if float(step).is_integer():
        step = int(step)
        first, last = -(-low // step), high // step
        return st.integers(first, last).map(partial(operator.mul, step)) if first <= last else st.nothing()
    # A fractional step: integers that happen to be multiples of it.
    return st.integers(low, high).filter(partial(_is_multiple, step=step)) if low <= high else st.nothing()


def _numbers(node: dict, pointer: str, limits: Limits) -> SearchStrategy:
    low, high, exclusive_low, exclusive_high = _bounds(node, integer=False)
    low, high = _default_span(low, high, limits.number_span)
    step = node.get("multipleOf")
    if step is not None:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            return st.nothing()

        def multiple_inside(value: float) -> bool:
            return _is_multiple(value, step) and _inside(value, node)

        return st.integers(first, last).map(partial(operator.mul, step)).filter(multiple_inside)
    floats = st.floats(
        low,
        high,
        exclude_min=exclusive_low,
        exclude_max=exclusive_high,
        allow_nan=False,
        allow_infinity=False,
    )
    int_low, int_high, _, _ = _bounds(node, integer=True)
    int_low, int_high = _default_span(int_low, int_high, limits.number_span)
    if int_low <= int_high:
        return st.integers(int(int_low), int(int_high)) | floats
    return floats


def _all_unique(values: list) -> bool:
    return len({_json_key(v) for v in values}) == len(values)


def _is_multiple(value: float, step: float) -> bool:
    # The same test jsonschema applies.
    if isinstance(step, float):
        quotient = value / step
        try:
            return int(quotient) == quotient
        except OverflowError:
            return False
    return value % step == 0


def _inside(value: float, node: dict) -> bool:
    return _admits({k: node[k] for k in _NUMBER_KEYS if k in node and k != "multipleOf"}, value)


_FORMATS: dict[str, SearchStrategy] = {
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


def _strings(node: dict, pointer: str, limits: Limits) -> SearchStrategy:
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
    if fmt in _FORMATS:
        return _FORMATS[fmt].filter(fits)
    cap = min(max_length, max(min_length, limits.max_string))
    return st.text(_TEXT_ALPHABET, min_size=min_length, max_size=int(cap))


# ---------------------------------------------------------------------------------------------
# merging (allOf)


def _constraints(node: dict, drop: Iterable[str] = ()) -> dict:
    """The keywords of ``node`` that constrain instances (annotations and ``drop`` removed)."""
    dropped = set(drop)
    return {
        k: v
        for k, v in node.items()
        if k not in dropped and k not in ANNOTATIONS and not k.startswith("x-") and k != _PTR
    }


def _without(node: dict, *keys: str) -> dict:
    return {k: v for k, v in node.items() if k not in keys}


def _pointerize(node: dict, pointer: str) -> dict:
    """Replace subschemas by pointers to their original location (so memo/overrides apply)."""
    if "x-parts" in node:
        return node  # already merged: its subschemas are pointers
    out = dict(node)
    if "properties" in out:
        out["properties"] = {name: {_PTR: _child(pointer, "properties", name)} for name in out["properties"]}
    for keyword in ("items", "additionalProperties", "propertyNames"):
        if isinstance(out.get(keyword), dict):
            out[keyword] = {_PTR: _child(pointer, keyword)}
    if "prefixItems" in out:
        out["prefixItems"] = [
            {_PTR: _child(pointer, "prefixItems", i)} for i in range(len(out["prefixItems"]))
        ]
    out["x-parts"] = [pointer]
    return out


def _merge(conjuncts: list[tuple[dict, str]], pointer: str) -> dict | None:
    """One plain schema equivalent to the conjunction, or None if it is unsatisfiable."""
    merged: dict[str, Any] = {"x-parts": []}
    for node, _ in conjuncts:
        for keyword, value in node.items():
            if keyword == "x-parts":
                merged["x-parts"] += value
            elif keyword == "type" and isinstance(value, str):
                merged[keyword] = (
                    _merge_keyword(keyword, merged[keyword], value, pointer) if keyword in merged else [value]
                )
            elif keyword not in merged:
                merged[keyword] = value
            else:
                merged[keyword] = _merge_keyword(keyword, merged[keyword], value, pointer)
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


def _merge_keyword(keyword: str, old: Any, new: Any, pointer: str) -> Any:
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
        new_keys = {_json_key(v) for v in (new if keyword == "enum" else [new])}
        common = [v for v in old_values if _json_key(v) in new_keys]
        return common if keyword == "enum" else (common[0] if common else _Unsatisfiable)
    if old == new:
        return old
    raise UnsupportedSchema(keyword, pointer, f"allOf combines two different {keyword!r} values")


class _Unsatisfiable:
    """A const no value equals (from intersecting two different consts)."""


def _admits(node: dict, value: Any) -> bool:
    """Check the scalar keywords (type and bounds) of a plain schema against a literal."""
    if "type" in node and _type_of(value) not in _types(node):
        return False
    if "const" in node and (node["const"] is _Unsatisfiable or _json_key(node["const"]) != _json_key(value)):
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


def _product(lists: list[list]) -> Iterable[tuple]:
    if not lists:
        yield ()
        return
    head, *tail = lists
    for item in head:
        for rest in _product(tail):
            yield (item, *rest)


# ---------------------------------------------------------------------------------------------
# schema analysis


def _shapes_disjoint(a: tuple, b: tuple) -> bool:
    types_a, tags_a = a
    types_b, tags_b = b
    common = types_a & types_b
    if not common:
        return True
    if common == {"object"}:  # objects told apart by a required discriminator property
        return any(name in tags_b and not (values & tags_b[name]) for name, values in tags_a.items())
    return False


def _refs(node: Any, into_defs: bool = False) -> Iterable[str]:
    """The references a subschema makes (``$defs`` bodies count only when referenced, or if asked)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("enum", "const") and (into_defs or key not in ("$defs", "definitions")):
                yield from _refs(value, into_defs)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item, into_defs)


def _recursive_refs(root: Any) -> frozenset[str]:
    """The ``$ref`` targets that can reach themselves through further ``$ref``s (any pointer, ``#`` too)."""
    targets = {r for r in _refs(root, into_defs=True) if r.startswith("#")}
    graph: dict[str, set[str]] = {}
    for target in targets:
        node = _walk_pointer(root, target)
        graph[target] = {r for r in _refs(node) if r in targets} if node is not None else set()
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


def _walk_pointer(root: Any, pointer: str) -> Any:
    node = root
    for token in pointer.split("/")[1:]:
        token = _unescape(token)
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node


_ROOT_DEF = "__respcheck_root__"


def _validator_pointer(pointer: str) -> str:
    if pointer == "#":
        return f"#/$defs/{_ROOT_DEF}"
    if _def_name(pointer) is not None and pointer.split("/")[1] == "$defs":
        return pointer
    return f"#/$defs/{_ROOT_DEF}" + pointer[1:]


def _rewrite_refs(node: Any) -> Any:
    """Point same-document ``$ref``s at their place in the validator document."""
    if isinstance(node, dict):
        return {
            k: (
                _validator_pointer(v)
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _rewrite_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(x) for x in node]
    return node


def _markers_to_refs(node: Any) -> Any:
    """Turn a synthesized node back into plain JSON Schema (markers become ``$ref``s)."""
    if isinstance(node, dict):
        if _PTR in node:
            return {"$ref": node[_PTR]}
        return {k: _markers_to_refs(v) for k, v in node.items() if k != "x-parts"}
    if isinstance(node, list):
        return [_markers_to_refs(x) for x in node]
    return node


def _validator_document(root: dict) -> dict:
    """The document rewritten so any pointer into it can be validated as ``$defs`` entries."""
    if not isinstance(root, dict):
        return {"$defs": {_ROOT_DEF: root}}
    body = _rewrite_refs({k: v for k, v in root.items() if k not in ("$defs", "$id", "$schema")})
    defs = {name: _rewrite_refs(sub) for name, sub in root.get("$defs", {}).items()}
    defs[_ROOT_DEF] = body
    return {"$defs": defs}
