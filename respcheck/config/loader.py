"""The YAML loader respcheck reads files with: PyYAML's SafeLoader, made strict and bounded.

PyYAML alone turns a 571-byte "billion laughs" file into billions of shared references that any
walk over the data (a schema validator, ``str``) expands, and a 5,000-deep file into a
RecursionError. This loader, for every file respcheck reads (targets.yaml, VCR cassettes):

- refuses a duplicate key (PyYAML silently keeps the last one) and an unhashable key;
- refuses nesting deeper than ``MAX_DEPTH`` levels (the composer recurses per level);
- bounds what aliases may add: at most the document's own size or ``MIN_ALIAS_ALLOWANCE``
  characters, whichever is larger (or refuses aliases outright: ``aliases=False``);
- refuses an alias to a node that contains it (a cycle no JSON consumer can walk);
- with ``keys_as_text=True`` reads every key as the text written (``yes:``, ``123:``, ``~:``
  are the names 'yes', '123', '~', not True, 123, None) and refuses a list or mapping as a key.

A mistake is a ``YAMLProblem``: one line, "what — the fix", with the 1-based line and column.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DEPTH = 100  # a targets.yaml is 5 levels deep, a cassette 6; the composer needs ~3 frames per level
MIN_ALIAS_ALLOWANCE = 1_000_000  # characters aliases may add to a small document

_STR_TAG = "tag:yaml.org,2002:str"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class YAMLProblem(ValueError):
    """Text that is not acceptable YAML: ``message`` is "what — the fix"; line and column 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Refused(yaml.MarkedYAMLError):
    """A limit of this loader, with the fix already in the problem text."""


def _refused(message: str, mark: Any) -> _Refused:
    return _Refused(None, None, message, mark)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader with the limits of the module docstring (one instance per document)."""

    def __init__(self, text: str, *, aliases: bool, keys_as_text: bool) -> None:
        super().__init__(text)
        self.allow_aliases = aliases
        self.keys_as_text = keys_as_text
        self.alias_allowance = max(MIN_ALIAS_ALLOWANCE, len(text))
        self.alias_added = 0
        self.depth = 0
        self.open_anchors: set[str] = set()
        self.sizes: dict[int, int] = {}  # id(node) -> characters the node stands for, aliases expanded

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # the scanner looks ahead over every open '[' or '{' for a possible key (quadratic: 5,000 of
        # them took 10 s), so a flow collection too deep is refused here, before the composer sees it
        if self.flow_level >= MAX_DEPTH:
            raise _refused(f"nested deeper than {MAX_DEPTH} levels — flatten the file",
                           self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(event, parent, index)
        if self.depth >= MAX_DEPTH:
            raise _refused(f"nested deeper than {MAX_DEPTH} levels — flatten the file",
                           event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.add(anchor)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open_anchors.discard(anchor)
        if node is not None:
            self.sizes[id(node)] = self._size(node)
        return node

    def _compose_alias(self, event: yaml.AliasEvent, parent: Any, index: Any) -> yaml.Node | None:
        if not self.allow_aliases:
            raise _refused(f"alias *{event.anchor}: anchors and aliases are not allowed in this "
                           "file — write the value out in full", event.start_mark)
        if event.anchor in self.open_anchors:
            raise _refused(f"alias *{event.anchor} refers to a value that contains it (a cycle) "
                           "— remove the alias", event.start_mark)
        node = super().compose_node(parent, index)  # the anchored node (or "found undefined alias")
        self.alias_added += self.sizes.get(id(node), 1)
        if self.alias_added > self.alias_allowance:
            raise _refused(f"aliases expand the document by more than {self.alias_allowance:,} "
                           "characters (a 'billion laughs' file) — write the values out or remove the "
                           "aliases", event.start_mark)
        return node

    def _size(self, node: yaml.Node) -> int:
        """Characters ``node`` stands for once its aliases are expanded (children are already sized)."""
        if isinstance(node, yaml.ScalarNode):
            return 1 + len(node.value)
        children = node.value if isinstance(node, yaml.SequenceNode) else [n for kv in node.value for n in kv]
        return 1 + sum(self.sizes.get(id(child), 1) for child in children)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if self.keys_as_text:
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _refused("a key must be a name, not a list or mapping — write a plain "
                                   "name before the ':'", key_node.start_mark)
                key_node.tag = _STR_TAG  # the text written, whatever YAML 1.1 would make of it
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # a list or mapping as a key
                raise _refused("a list or mapping cannot be a key — write a plain key before "
                               "the ':'", key_node.start_mark) from None
            if duplicate:
                raise _refused(f"duplicate key {key!r} — keep one of them", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 numbers PyYAML (YAML 1.1) reads as text: 1e3, 1E-5 (an editor's schema check reads them as numbers)
_BoundedLoader.add_implicit_resolver(
    _FLOAT_TAG, re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def load_yaml(text: str, *, aliases: bool = True, keys_as_text: bool = False) -> tuple[Any, yaml.Node | None]:
    """The data of ``text`` and its node tree (whose marks give the line of every value).

    Raises ``YAMLProblem`` for malformed text and for anything past this module's limits.
    """
    loader = _BoundedLoader(text, aliases=aliases, keys_as_text=keys_as_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise _located(exc.problem or "refused", exc.problem_mark) from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        raise _located(f"malformed YAML ({problem}) — fix the syntax at that spot",
                       exc.problem_mark or exc.context_mark) from None
    except yaml.YAMLError as exc:  # e.g. a character YAML does not allow (no mark from the reader)
        raise YAMLProblem(f"malformed YAML ({' '.join(str(exc).split())}) — fix the syntax") from None
    finally:
        loader.dispose()
    return data, node


def _located(message: str, mark: Any) -> YAMLProblem:
    if mark is None:
        return YAMLProblem(message)
    return YAMLProblem(message, mark.line + 1, mark.column + 1)
