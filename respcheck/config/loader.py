"""The YAML loader respcheck reads files with: PyYAML's SafeLoader, made strict.

Duplicate keys are an error (PyYAML silently keeps the last one). A mistake is a
``YAMLProblem`` carrying the line and column, for the caller to turn into its one-line message.
"""

from __future__ import annotations

from typing import Any

import yaml


class YAMLProblem(ValueError):
    """Text that is not acceptable YAML; ``line`` and ``column`` are 1-based (None when unknown)."""

    def __init__(self, problem: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def compose_and_load(text: str) -> tuple[Any, yaml.Node | None]:
    """The data of ``text`` and its node tree (whose marks give the line of every value)."""
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise YAMLProblem(problem) from None
        raise YAMLProblem(problem, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(" ".join(str(exc).split())) from None
    return data, node
