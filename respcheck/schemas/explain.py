"""Explain why an instance fails a schema, in the terms of the union member it meant to be.

The Responses schemas are full of unions discriminated by ``type`` (output items, content
parts, tools). When an item fails, "X is not valid under any of the given schemas" says
nothing, and ``best_match`` often descends into an unrelated member. Here, for a failed
``anyOf``/``oneOf``, we keep only the members whose ``type`` accepts the instance's
``type`` (the member the relay meant to send) and explain the failure inside those.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

UNION_KEYWORDS = ("anyOf", "oneOf")


def leaf_errors(errors: Iterable[ValidationError]) -> list[ValidationError]:
    """The specific failures behind ``errors``, unions resolved by their ``type`` discriminator."""
    out: list[ValidationError] = []
    for error in errors:
        out.extend(_resolve(error))
    return out


def _resolve(error: ValidationError) -> list[ValidationError]:
    if error.validator not in UNION_KEYWORDS or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    meant = [errs for errs in branches.values() if not _discriminator_mismatch(error, errs)]
    # A lone "null" member failing (e.g. anyOf [X, null]) says nothing useful: skip it.
    meant = [errs for errs in meant if not _only_null_branch(errs)] or meant
    if not meant:
        return [error]  # no member accepts its type: described as an unknown type
    # Several members accept its type (e.g. the message shapes): explain the closest one.
    return leaf_errors(min(meant, key=len))


def _discriminator_mismatch(union: ValidationError, branch_errors: list[ValidationError]) -> bool:
    """True when the branch rejects the instance's ``type`` value or its JSON type outright."""
    depth = len(union.absolute_path)
    for e in branch_errors:
        rel = list(e.absolute_path)[depth:]
        if rel == ["type"] and e.validator in ("const", "enum"):
            return True
        if rel == [] and e.validator in ("type", "const", "enum"):
            return True
    return False


def _only_null_branch(branch_errors: list[ValidationError]) -> bool:
    return all(e.validator == "type" and e.validator_value == "null" for e in branch_errors)


def union_kinds(error: ValidationError) -> list[str]:
    """The ``type`` values a failed union's members accept (for "unknown type" messages)."""
    depth = len(error.absolute_path)
    kinds: set[str] = set()
    for sub in error.context or ():
        if list(sub.absolute_path)[depth:] == ["type"] and sub.validator in ("const", "enum"):
            values = sub.validator_value if sub.validator == "enum" else [sub.validator_value]
            kinds.update(v for v in values if isinstance(v, str))
    return sorted(kinds)


def explain(
    validator: jsonschema.protocols.Validator, instance: Any, limit: int = 3
) -> list[ValidationError]:
    """The most useful few reasons ``instance`` fails, best first."""
    found = leaf_errors(validator.iter_errors(instance))
    if not found:
        return []
    best = best_match(found)
    rest = [e for e in found if e is not best]
    return [best, *rest][:limit]
