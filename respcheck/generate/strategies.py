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

Layout: this module is the compiler (dispatch, unions, objects, arrays); ``vocabulary`` holds the
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
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from respcheck import jsonpointer
from respcheck.generate.merge import cartesian, merge_conjuncts, pointerize, shapes_disjoint
from respcheck.generate.scalars import (
    MAP_KEYS,
    all_unique,
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


def from_schema(
    schema: dict,
    *,
    pointer: str = "#",
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
) -> SearchStrategy:
    """A strategy for instances of ``schema`` (or of its subschema at ``pointer``)."""
    return SchemaCompiler(schema, overrides=overrides, limits=limits).strategy(pointer)


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

    def _compile_array(self, node: dict, pointer: str, budget: int) -> SearchStrategy:
        prefix = node.get("prefixItems", [])
        prefix_strategies = [
            self._compile(sub, child_pointer(pointer, "prefixItems", i), None, budget)
            for i, sub in enumerate(prefix)
        ]
        items = node.get("items", True)
        item_strategy = self._compile(items, child_pointer(pointer, "items"), None, budget)
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
                item_strategy, min_size=min_items, max_size=int(cap), unique_by=json_key if unique else None
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
        return strategy.filter(all_unique) if unique else strategy

    def _compile_object(self, node: dict, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        properties: dict = node.get("properties", {})
        required = list(dict.fromkeys(node.get("required", [])))
        additional = node.get("additionalProperties", True)
        min_props = node.get("minProperties", 0)
        max_props = node.get("maxProperties", math.inf)

        names = node.get("propertyNames")
        names_pointer = child_pointer(pointer, "propertyNames")

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
                strategy = self._compile(
                    additional, child_pointer(pointer, "additionalProperties"), None, budget
                )
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
            value_strategy = self._compile(
                additional, child_pointer(pointer, "additionalProperties"), None, budget
            )
            key_strategy = (
                MAP_KEYS
                if names is None
                else self._compile(names, child_pointer(pointer, "propertyNames"), None, budget)
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
        real = (
            sub[MARKER]
            if isinstance(sub, dict) and MARKER in sub
            else child_pointer(pointer, "properties", name)
        )
        return self._schema_overrides.get(real)

    def _compile_property(
        self, sub: Any, pointer: str, name: str, path: str | None, budget: int
    ) -> SearchStrategy:
        child_path = self._child_path(path, name)
        if child_path is not None and child_path in self._path_overrides:
            return self._compile_override(self._path_overrides[child_path], pointer, child_path, budget)
        return self._compile(sub, child_pointer(pointer, "properties", name), child_path, budget)

    def _child_path(self, path: str | None, name: str) -> str | None:
        """The instance path of a property, tracked only while an instance-path override lies below."""
        if path is None or not self._path_overrides:
            return None
        child = jsonpointer.join(path, name)
        if any(k == child or k.startswith(child + "/") for k in self._path_overrides):
            return child
        return None
