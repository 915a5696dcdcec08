"""The schema compiler's arrays and objects: item and property strategies, free-form maps, which
optional properties appear (one bitmask draw per object), and the instance-path overrides that
reach a nested property. ``strategies.SchemaCompiler`` derives from ``ContainerCompiler``; the
dispatch and the unions stay there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from respcheck import jsonpointer
from respcheck.generate.limits import Always, Limits
from respcheck.generate.scalars import (
    MAP_KEYS,
    all_unique,
)
from respcheck.generate.vocabulary import (
    MARKER,
    child_pointer,
    json_key,
)


class ContainerCompiler:
    """Compiles array and object schemas; the compiler it belongs to provides the dispatch."""

    limits: Limits
    _path_overrides: dict[str, Any]
    _schema_overrides: dict[str, Any]

    def _compile(self, node: Any, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        raise NotImplementedError  # SchemaCompiler's dispatch

    def _compile_override(self, override: Any, pointer: str, path: str | None, budget: int) -> SearchStrategy:
        raise NotImplementedError  # SchemaCompiler's

    def _is_valid(self, node: Any, pointer: str, instance: Any) -> bool:
        raise NotImplementedError  # SchemaCompiler's

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
        strategy = _arrays(lengths, prefix_strategies, tails)
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

        return _objects(forced, masks, halvings, optional, (min_props, max_props), extras)

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


# The composites are defined once, here: ``st.composite`` reads and parses its function's source
# when it decorates it, which inside the compiler cost that on every array and object schema
# compiled (~100 per request strategy).


@st.composite
def _arrays(draw: Callable, lengths: SearchStrategy[int], prefix: list[SearchStrategy],
            tails: dict[int, SearchStrategy[list]]) -> list:
    length = draw(lengths)
    out = [draw(s) for s in prefix[: min(length, len(prefix))]]
    if length > len(prefix):
        out += draw(tails[length - len(prefix)])
    return out


@st.composite
def _objects(draw: Callable, forced: list[tuple[str, SearchStrategy]], masks: SearchStrategy[int],
             halvings: int, optional: list[tuple[str, SearchStrategy]], sizes: tuple[int, float],
             extras: SearchStrategy[dict] | None) -> dict:
    min_props, max_props = sizes
    width = len(optional)
    out = {name: draw(strategy) for name, strategy in forced}
    drawn = draw(masks)
    chosen = (1 << width) - 1
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
