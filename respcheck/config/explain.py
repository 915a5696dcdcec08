"""Schema errors explained: a jsonschema error becomes 'key path: what is wrong — the fix'.

Used for targets.yaml; the message is one line, located with the YAML node's line
(``line_of``), e.g. ``targets.yaml:14: targets.newapi.budget.requests: expected an integer,
got 'ten' — set a whole number``.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

import yaml

from respcheck import jsonpointer
from respcheck.config.target import NOT_A_NAME, ConfigError, did_you_mean, url_problem


def fail_at(node: yaml.Node | None, label: str, path: list[Any], message: str) -> NoReturn:
    """Raise the ConfigError of ``message`` at ``path``: 'file:line: key.path: message'."""
    line = line_of(node, path)
    where = f"{label}:{line}" if line else label
    raise ConfigError(f"{where}: {jsonpointer.dotted(path) or '(top level)'}: {message}")


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}
_TYPE_FIXES = {
    "integer": "set a whole number",
    "number": "set a number",
    "string": "quote it as text",
    "boolean": "set true or false",
    "array": "give a list, e.g. [a, b]",
    "object": "give a mapping of keys (key: value lines, indented)",
}


def explain_error(error: Any) -> tuple[list[Any], str]:
    """(key path, 'what is wrong — the fix') for one jsonschema ValidationError."""
    path = list(error.absolute_path)
    kind = error.validator
    value = error.instance
    if kind in ("anyOf", "oneOf"):
        return _explain_union(error)
    if kind == "type":
        return path, _wrong_type([error.validator_value] if isinstance(error.validator_value, str)
                                 else list(error.validator_value), value, [error.schema])
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        key = extra[0] if extra else "?"
        if error.schema.get("additionalProperties") is False:
            hint = did_you_mean(str(key), allowed)
            return [*path, key], f"unknown key{hint} — remove it or use one of: {', '.join(allowed)}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return path, f"missing key {missing[0]!r} — add it"
    if kind == "enum":
        choices = [c for c in error.validator_value]
        hint = did_you_mean(str(value), [str(c) for c in choices])
        return path, f"{value!r} is not allowed{hint} — use one of: {', '.join(map(str, choices))}"
    if kind in _BOUNDS:
        return path, f"{_describe(value)} is out of range — set a value {_range(error.schema)}"
    if kind == "uniqueItems":
        return path, "lists the same entry twice — remove the duplicate"
    if kind == "minItems":
        return path, "is an empty list — list at least one entry or remove the key"
    if kind == "minLength":
        return path, "is empty — set a name or remove the key"
    if kind == "pattern" and "propertyNames" in error.absolute_schema_path:
        return [*path, value], (f"{value!r} is not a valid name — use letters, digits, '_', '-', '.' "
                                "(starting with a letter or digit)")
    if kind == "pattern":
        return path, bad_pattern(path, value)
    if kind == "propertyNames":
        return path, f"{value!r} is not a valid name — use letters, digits, '_', '-', '.'"
    return path, f"{one_line(error.message)} — fix this value"


def _explain_union(error: Any) -> tuple[list[Any], str]:
    """An anyOf: explain the branch whose type the value has; if none has it, list the types."""
    path = list(error.absolute_path)
    context = list(error.context or [])
    mistyped = {e.relative_schema_path[0] for e in context if e.validator == "type" and not e.relative_path}
    relevant = [e for e in context if e.relative_schema_path[0] not in mistyped]
    if relevant:
        return explain_error(max(relevant, key=lambda e: len(e.relative_path)))
    types: list[str] = []
    for e in context:
        vv = e.validator_value
        for t in [vv] if isinstance(vv, str) else vv:
            if t not in types:
                types.append(t)
    return path, _wrong_type(types, error.instance, [e.schema for e in context])


def _wrong_type(types: list[str], value: Any, schemas: list[Any]) -> str:
    wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    fix = next((_TYPE_FIXES[t] for t in types if t in _TYPE_FIXES), "change the value")
    bounds = next((_range(s) for s in schemas if isinstance(s, dict) and _range(s)), "")
    if bounds and fix in (_TYPE_FIXES["integer"], _TYPE_FIXES["number"]):
        fix = f"{fix} {bounds}"
    return f"expected {wanted}, got {_describe(value)} — {fix}"


_BOUNDS = {"exclusiveMinimum": ">", "minimum": "≥", "exclusiveMaximum": "<", "maximum": "≤"}


def _range(schema: dict[str, Any]) -> str:
    """The bounds a schema sets on a number, as a user reads them: '> 0 and ≤ 3600' ('' when none)."""
    return " and ".join(f"{sign} {_number(schema[key])}" for key, sign in _BOUNDS.items() if key in schema)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bad_pattern(path: list[Any], value: Any) -> str:
    key = path[-1] if path else ""
    if key in ("api_key_env", "base_url_env"):
        return f"{NOT_A_NAME} — give the variable's NAME (letters, digits, _), never the key itself"
    if key == "base_url":
        problem = url_problem(str(value)) or f"{value!r} is not an http(s) URL"
        return f"{problem} — set e.g. https://relay.example/v1, or 'embedded'"
    return f"{value!r} has the wrong form — fix this value"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):  # as YAML spells them: .inf, -.inf, .nan
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    return repr(value)


def line_of(node: yaml.Node | None, path: list[Any]) -> int | None:
    """1-based line of the YAML node at ``path`` (the deepest one that exists)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def one_line(value: Any) -> str:
    return " ".join(str(value).split())
