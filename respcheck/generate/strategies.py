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

Layout: this module is the compiler (dispatch, references, unions); ``containers`` compiles
arrays and objects, ``limits`` holds ``Limits`` and the override markers; ``vocabulary`` holds the
keyword sets and pure schema helpers, ``merge`` the allOf merge, ``scalars`` numbers and strings.

Overrides (``overrides=``) replace generation at a location. Keys are either schema pointers
(``"#/$defs/Metadata"``) or instance paths of nested object properties (``"/model"``,
``"/text/format"``). Values are a strategy, a replacement schema (a dict, compiled in the
document's context so its ``$ref``s resolve), ``OMIT`` (never generate that optional property), or
``Always(strategy_or_schema)`` (generate it and always include the property).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema_rs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from respcheck import jsonpointer
from respcheck.generate.containers import ContainerCompiler
from respcheck.generate.limits import OMIT, Always, Limits
from respcheck.generate.merge import cartesian, merge_conjuncts, pointerize, shapes_disjoint
from respcheck.generate.scalars import (
    any_json,
    integer_strategy,
    number_strategy,
    string_strategy,
)
from respcheck.generate.vocabulary import (
    ALL_TYPES,
    ANNOTATIONS,
    MARKER,
    SCALAR_KEYS,
    SUPPORTED,
    UnsupportedSchema,
    admits,
    child_pointer,
    constraints_of,
    declared_types,
    inferred_types,
    json_key,
    json_type_of,
    markers_to_refs,
    recursive_refs,
    rewrite_refs,
    validator_document,
    validator_pointer,
    without,
)

__all__ = [
    "OMIT",
    "Always",
    "Limits",
    "SchemaCompiler",
    "UnsupportedSchema",
    "from_schema",
]


def from_schema(
    schema: dict,
    *,
    pointer: str = "#",
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
) -> SearchStrategy:
    """A strategy for instances of ``schema`` (or of its subschema at ``pointer``)."""
    return SchemaCompiler(schema, overrides=overrides, limits=limits).strategy(pointer)


class SchemaCompiler(ContainerCompiler):
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
        self._recursive = recursive_refs(root)
        self._validator_doc = validator_document(root)
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
        tokens = jsonpointer.tokens(pointer)
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
            schema = {"$defs": self._validator_doc["$defs"], "$ref": validator_pointer(pointer)}
            validator = self._validators[pointer] = jsonschema_rs.validator_for(schema)
        return validator.is_valid(instance)

    def _is_valid(self, node: Any, pointer: str, instance: Any) -> bool:
        return self._validator(node, pointer).is_valid(instance)

    def _validator(self, node: Any, pointer: str) -> Any:
        """A jsonschema-rs validator for ``node``: by pointer for original subschemas, else built from it."""
        try:
            original = self.resolve(pointer) is node
        except UnsupportedSchema:
            original = False
        if original:
            self.is_valid_at(pointer, None)  # compiles and caches
            return self._validators[pointer]
        key = json_key(node)
        validator = self._node_validators.get(key)
        if validator is None:
            schema = rewrite_refs(markers_to_refs(node))
            if isinstance(schema, bool):
                schema = {} if schema else {"not": {}}
            validator = jsonschema_rs.validator_for({**schema, "$defs": self._validator_doc["$defs"]})
            self._node_validators[key] = validator
        return validator

    def _checker(self, node: Any, pointer: str) -> Callable[[Any], bool]:
        """A validity test for use in filters: the validator is looked up once, on first use."""
        found: list = []

        def is_valid(instance: Any) -> bool:
            if not found:
                found.append(self._validator(node, pointer))
            return found[0].is_valid(instance)

        return is_valid

    def _register(self, schema: Any) -> str:
        """Give a replacement schema a pointer of its own (for memo, errors and validators)."""
        name = self._extra_names.get(id(schema))
        if name is None:
            name = f"__respcheck_override_{len(self._extras)}__"
            self._extras[name] = schema
            self._extra_names[id(schema)] = name
            self._validator_doc["$defs"][name] = rewrite_refs(schema)
            self._validators.clear()  # later validators must see the new entry
        return f"#/$defs/{name}"

    # dispatch ---------------------------------------------------------------------------------

    def _compile(self, node: Any, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        override = self._schema_overrides.get(pointer)
        if override is not None:
            return self._compile_override(override, pointer, path, budget)
        if isinstance(node, dict) and MARKER in node:  # a merged property: compile the original
            target = node[MARKER]
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
            return any_json()
        if node is False:
            return st.nothing()
        if not isinstance(node, dict):
            raise UnsupportedSchema(
                "(schema)", pointer, f"a schema must be an object or boolean, got {node!r}"
            )
        self._check_keywords(node, pointer)
        if "$ref" in node:
            if constraints_of(node, drop=("$ref",)):
                return self._compile_all_of(node, pointer, path, budget)
            return self._compile_ref(node["$ref"], pointer, path, budget)
        if "allOf" in node:
            return self._compile_all_of(node, pointer, path, budget)
        if "anyOf" in node or "oneOf" in node:
            keyword = "oneOf" if "oneOf" in node else "anyOf"
            if constraints_of(node, drop=(keyword,)):
                # Sibling constraints apply to every branch: let the allOf merge distribute them.
                return self._compile_all_of(node, pointer, path, budget)
            return self._compile_union(node[keyword], keyword, pointer, path, budget)
        if "not" in node:
            base = self._compile_uncached(without(node, "not"), pointer, path, budget)
            negated = self._checker(node["not"], child_pointer(pointer, "not"))

            def not_negated(value: Any) -> bool:
                return not negated(value)

            return base.filter(not_negated)
        return self._compile_plain(node, pointer, path, budget)

    def _check_keywords(self, node: dict, pointer: str) -> None:
        for keyword in node:
            if (
                keyword in SUPPORTED
                or keyword in ANNOTATIONS
                or keyword.startswith("x-")
                or keyword == MARKER
            ):
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
        pointers = [child_pointer(pointer, keyword, i) for i in range(len(branches))]
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
        others = [
            self._checker(b, p) for i, (b, p) in enumerate(zip(branches, pointers, strict=True)) if i != own
        ]

        def in_no_other_branch(value: Any) -> bool:
            return not any(other(value) for other in others)

        return strategy.filter(in_no_other_branch)

    def _pairwise_disjoint(self, branches: list, pointers: list[str]) -> bool:
        shapes = [self._shape(b, p) for b, p in zip(branches, pointers, strict=True)]
        return all(shapes_disjoint(a, b) for i, a in enumerate(shapes) for b in shapes[i + 1 :])

    def _shape(self, node: Any, pointer: str, depth: int = 0) -> tuple[frozenset[str], dict[str, frozenset]]:
        """A cheap over-approximation: admitted types and required-property value sets (for const/enum)."""
        if depth > 8 or not isinstance(node, dict):
            return ALL_TYPES, {}
        if "$ref" in node and not constraints_of(node, drop=("$ref",)):
            return self._shape(self.resolve(node["$ref"]), node["$ref"], depth + 1)
        types = declared_types(node) if "type" in node else ALL_TYPES
        if "$ref" in node:
            ref_types, ref_tags = self._shape(self.resolve(node["$ref"]), node["$ref"], depth + 1)
            types &= ref_types
        else:
            ref_tags = {}
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                subs = [
                    self._shape(b, child_pointer(pointer, keyword, i), depth + 1)
                    for i, b in enumerate(node[keyword])
                ]
                types &= frozenset().union(*(s[0] for s in subs))
        if "enum" in node or "const" in node:
            values = node["enum"] if "enum" in node else [node["const"]]
            types &= frozenset(json_type_of(v) for v in values) | (
                {"number"} if any(json_type_of(v) == "integer" for v in values) else set()
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
            return frozenset([json_key(node["const"])])
        if "enum" in node:
            return frozenset(json_key(v) for v in node["enum"])
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
        for choice in cartesian([branches for _, branches in unions]):
            extra_conjuncts: list[tuple[dict, str]] = []
            extra_unions: list = []
            for branch, branch_pointer in choice:
                needs_verify |= self._flatten(branch, branch_pointer, extra_conjuncts, extra_unions, depth=0)
            merged = merge_conjuncts([*conjuncts, *extra_conjuncts], pointer)
            if merged is None:
                continue  # the conjuncts contradict each other (e.g. string and null)
            if extra_unions:  # a branch holds unions of its own: distribute those in turn
                nested = [{kw: [{MARKER: bp} for _, bp in branches]} for kw, branches in extra_unions]
                merged = {"allOf": [merged, *nested]}
            alternatives.append(self._compile_uncached(merged, pointer, path, budget))
        live = [a for a in alternatives if not a.is_empty]
        if not live:
            return st.nothing()
        strategy = st.one_of(live)
        if needs_verify:
            # oneOf exclusivity or `not` inside allOf: the merge over-approximates, so check the original.
            strategy = strategy.filter(self._checker(node, pointer))
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
        if MARKER in node:
            return self._flatten(self.resolve(node[MARKER]), node[MARKER], conjuncts, unions, depth + 1)
        self._check_keywords(node, pointer)
        needs_verify = False
        rest = dict(node)
        if "$ref" in rest:
            ref = rest.pop("$ref")
            needs_verify |= self._flatten(self.resolve(ref), ref, conjuncts, unions, depth + 1)
        for i, sub in enumerate(rest.pop("allOf", [])):
            needs_verify |= self._flatten(
                sub, child_pointer(pointer, "allOf", i), conjuncts, unions, depth + 1
            )
        for keyword in ("anyOf", "oneOf"):
            if keyword in rest:
                branches = rest.pop(keyword)
                unions.append(
                    (keyword, [(b, child_pointer(pointer, keyword, i)) for i, b in enumerate(branches)])
                )
                needs_verify |= keyword == "oneOf"
        if "not" in rest:
            rest.pop("not")
            needs_verify = True
        if constraints_of(rest):
            conjuncts.append((pointerize(rest, pointer), pointer))
        return needs_verify

    # plain schemas ----------------------------------------------------------------------------

    def _compile_plain(self, node: dict, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        if "const" in node or "enum" in node:
            return self._compile_literals(node, pointer)
        builders: dict[str, Callable[[], SearchStrategy]] = {
            "null": st.none,
            "boolean": st.booleans,
            "integer": lambda: integer_strategy(node, self.limits.number_span),
            "number": lambda: number_strategy(node, self.limits.number_span),
            "string": lambda: string_strategy(node, pointer, self.limits.max_string),
            "array": lambda: self._compile_array(node, pointer, budget),
            "object": lambda: self._compile_object(node, pointer, path, budget),
        }
        types = inferred_types(node)
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
        if set(constraints_of(node)) <= SCALAR_KEYS:
            admitted = [v for v in values if admits(node, v)]  # exact, and no validator to build
        elif parts:
            admitted = [v for v in values if admits(node, v) and all(self.is_valid_at(p, v) for p in parts)]
        else:
            admitted = [v for v in values if self._is_valid(node, pointer, v)]
        return st.sampled_from(admitted) if admitted else st.nothing()
