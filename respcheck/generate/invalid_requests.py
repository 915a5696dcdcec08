"""Generated invalid Create Response request bodies, each labelled with the parameter an
OpenAI-compatible server must name in its error.

Invalid requests mutate a valid body (``requests.valid_create_requests``) once: a required field
removed, a value of the wrong type, a number outside its bounds, an unknown enum value. Bounds and
enums are read from the schema, and a mutation is kept only if the mutated body really is invalid
against it *because of that field*, so the expected ``param`` is one a correct server must name:

- the field is top-level, or sits in an object whose ``type`` names its union branch;
- an out-of-range or unknown-enum value is checked against a control (the same change with a valid
  value must make the body valid again), so a missing sibling cannot be the real cause;
- required-but-nullable fields (the spec's way of saying "may be omitted") are never removed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import jsonschema_rs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from respcheck import jsonpointer
from respcheck.generate import vocabulary
from respcheck.generate.requests import SAFE_FIELDS, create_request_schema, valid_create_requests

# The API requires these although the spec's schema does not (a stored prompt may supply the model).
API_REQUIRED = ("model",)
# Top-level fields whose bounds and enums the invalid requests probe: the well-known parameters
# every implementation validates (not the newest extensions a relay may not know at all).
PROBED_FIELDS = SAFE_FIELDS | {"top_logprobs", "include", "prompt_cache_retention"}
# Deprecated aliases: a server may validate them under their canonical name (``reasoning.summary``)
# and name that in the error, so they cannot tell which ``param`` is right. The derived schemas drop
# the spec's ``deprecated`` flag, hence this list.
UNPROBED_PATHS = frozenset({("reasoning", "generate_summary")})
INVALID_KINDS = ("missing_required", "wrong_type", "out_of_range", "unknown_enum")


class InvalidRequest(NamedTuple):
    body: dict
    param: str  # as OpenAI names it in errors: "temperature", "text.format.type", "tools[0].name"
    kind: str  # one of INVALID_KINDS


@dataclass(frozen=True, slots=True)
class _Mutation:
    kind: str
    path: tuple[str | int, ...]
    value: Any = None
    delete: bool = False
    # A value that makes the same change valid: proves the mutated field itself is the cause.
    control: Any = None
    has_control: bool = False


def invalid_create_requests(
    models: Sequence[str],
    *,
    kinds: Iterable[str] = INVALID_KINDS,
    schema: dict | None = None,
    probed_fields: Iterable[str] = PROBED_FIELDS,
    **valid_options: Any,
) -> SearchStrategy[InvalidRequest]:
    """Invalid bodies, each one mutation away from a valid one, as ``(body, param, kind)``.

    ``missing_required`` removes a field the schema requires (inside typed items such as tools and
    ``text.format``) or one the API requires (``API_REQUIRED``, i.e. ``model``: the only mutation
    the schema alone does not reject, since a stored prompt may name the model); ``wrong_type``
    swaps a value for one of another JSON type; ``out_of_range`` and ``unknown_enum`` use the
    bounds and enums read from the schema, for the top-level fields in ``probed_fields`` (and what
    lies inside them). ``valid_options`` go to ``valid_create_requests``.
    """
    kinds = tuple(kinds)
    unknown = set(kinds) - set(INVALID_KINDS)
    if unknown:
        raise ValueError(f"unknown invalid-request kinds {sorted(unknown)}; choose from {INVALID_KINDS}")
    schema = schema if schema is not None else create_request_schema()
    validator = _validator(json.dumps(schema, sort_keys=True))
    # a parameter the models reject is left out of the base body, and so never mutated either
    probed = set(probed_fields) - set(valid_options.get("rejected", ()))
    catalog = {
        kind: [m for m in mutations if m.path[0] in probed and m.path not in UNPROBED_PATHS]
        for kind, mutations in _schema_mutations(json.dumps(schema, sort_keys=True)).items()
    }
    valid = valid_create_requests(models, schema=schema, **valid_options)
    kind_choice = st.sampled_from(kinds)

    @st.composite
    def invalid(draw: Callable) -> InvalidRequest:
        body = draw(valid)
        kind = draw(kind_choice)
        # Try this kind first, then the others (e.g. a body with no nested required field).
        ordered = [kind, *(k for k in kinds if k != kind)]
        for candidate_kind in ordered:
            candidates = _candidates(candidate_kind, body, catalog)
            if not candidates:
                continue
            # Validating every candidate is the expensive part: start at a drawn position and
            # take the first one that is invalid for the right reason.
            start = draw(st.integers(0, len(candidates) - 1))
            for mutation in candidates[start:] + candidates[:start]:
                if _still_invalid(mutation, body, validator):
                    param = jsonpointer.dotted(mutation.path)
                    return InvalidRequest(_apply(mutation, body), param, mutation.kind)
        raise AssertionError(f"no invalidating mutation found for {body!r}")  # model can always go

    return invalid()


@cache
def _validator(schema_json: str) -> Any:
    return jsonschema_rs.validator_for(json.loads(schema_json))


def _still_invalid(mutation: _Mutation, body: dict, validator: Any) -> bool:
    if mutation.kind == "missing_required" and mutation.path in {(name,) for name in API_REQUIRED}:
        return mutation.path[0] in body and "prompt" not in body
    if validator.is_valid(_apply(mutation, body)):
        return False
    if mutation.delete:
        # "Required but nullable" (function tools' `parameters`, `strict`) is how the spec spells
        # "may be left out" in practice; only fields that may not be null are surely required.
        return not validator.is_valid(_apply(_Mutation(mutation.kind, mutation.path, None), body))
    if mutation.has_control:
        fixed = _Mutation(mutation.kind, mutation.path, mutation.control)
        return validator.is_valid(_apply(fixed, body))
    return True


def _candidates(kind: str, body: dict, catalog: dict[str, list[_Mutation]]) -> list[_Mutation]:
    if kind == "missing_required":
        api = [_Mutation(kind, (name,), delete=True) for name in API_REQUIRED if name in body]
        nested = [
            _Mutation(kind, path, delete=True)
            for path, _, parent in _walk(body)
            if len(path) > 1 and _names_itself(path, parent) and path[-1] != "type"
        ]
        return api + nested
    if kind == "wrong_type":
        return [
            _Mutation(kind, path, _other_type(value))
            for path, value, parent in _walk(body)
            if value is not None and _names_itself(path, parent)
        ]
    return catalog.get(kind, [])


def _names_itself(path: tuple, parent: Any) -> bool:
    """Whether a server can only blame this very field: a top-level one, or a member of an object
    whose ``type`` says which union branch it is. (Without the discriminator, a message missing its
    ``role`` may fairly be reported as ``input[0].type``: the item matches no branch at all.)"""
    return len(path) == 1 or (isinstance(parent, dict) and isinstance(parent.get("type"), str))


def _walk(value: Any, path: tuple = (), depth: int = 3) -> Iterator[tuple[tuple, Any, Any]]:
    """(path, value, container) inside a body: object members, and the first item of each array."""
    if depth == 0:
        return
    if isinstance(value, dict):
        for key in sorted(value):
            yield (*path, key), value[key], value
            yield from _walk(value[key], (*path, key), depth - 1)
    elif isinstance(value, list) and value:
        yield (*path, 0), value[0], value
        yield from _walk(value[0], (*path, 0), depth - 1)


def _other_type(value: Any) -> Any:
    """A value of a different JSON type that a lenient server might still coerce (the point of the test)."""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return {"0": value[0]} if value else {}
    return "not-an-object"


def _apply(mutation: _Mutation, body: dict) -> dict:
    out = copy.deepcopy(body)
    *parents, last = mutation.path
    node: Any = out
    for part in parents:
        child = node[part] if (isinstance(node, list) and isinstance(part, int)) else node.get(part)
        if not isinstance(child, dict | list):
            child = {}
            node[part] = child
        node = child
    if mutation.delete:
        del node[last]
    else:
        node[last] = mutation.value
    return out


@cache
def _schema_mutations(schema_json: str) -> dict[str, list[_Mutation]]:
    """Out-of-range numbers and unknown enum values for every field reachable through objects."""
    schema = json.loads(schema_json)
    found: dict[str, list[_Mutation]] = {"out_of_range": [], "unknown_enum": []}
    for path, alternatives in _fields(schema, schema, "#", (), depth=3):
        for value, inside in _out_of_range_values(alternatives):
            found["out_of_range"].append(
                _Mutation("out_of_range", path, value, control=inside, has_control=True)
            )
        enum_value = _unknown_enum_value(alternatives, path)
        if enum_value is not None:
            known = next(
                a["enum"][0] if "enum" in a else a["const"]
                for a in alternatives
                if "enum" in a or "const" in a
            )
            found["unknown_enum"].append(
                _Mutation("unknown_enum", path, enum_value, control=known, has_control=True)
            )
    return found


def _fields(
    root: dict, node: Any, pointer: str, path: tuple, depth: int
) -> Iterator[tuple[tuple, list[dict]]]:
    """(path, leaf alternatives) for the object's fields, descending into object-valued fields."""
    if depth == 0:
        return
    grouped: dict[str, list[dict]] = {}
    for name, sub, _ in vocabulary.object_fields(root, node, pointer, 0):
        grouped.setdefault(name, []).extend(vocabulary.alternatives_of(root, sub, 0))
    for name in sorted(grouped):
        alternatives = grouped[name]
        yield (*path, name), alternatives
        objects = [a for a in alternatives if "properties" in a]
        if objects:
            yield from _fields(root, {"anyOf": objects}, pointer, (*path, name), depth - 1)


def _types_of(node: dict) -> set[str]:
    declared = node.get("type")
    if declared is None:
        return set()
    return {declared} if isinstance(declared, str) else set(declared)


def _out_of_range_values(alternatives: list[dict]) -> list[tuple[float, float]]:
    """(just outside a bound, a value inside the bounds) for each bound of a numeric field."""
    values = []
    for alternative in alternatives:
        if not _types_of(alternative) & {"integer", "number"}:
            continue
        step = 0.5 if "number" in _types_of(alternative) else 1
        low = alternative.get("minimum", alternative.get("exclusiveMinimum", None))
        high = alternative.get("maximum", alternative.get("exclusiveMaximum", None))
        inside = low + step if low is not None else (high - step if high is not None else None)
        if inside is None:
            continue
        if "maximum" in alternative:
            values.append((alternative["maximum"] + step, inside))
        if "exclusiveMaximum" in alternative:
            values.append((alternative["exclusiveMaximum"], inside))
        if "minimum" in alternative:
            values.append((alternative["minimum"] - step, inside))
        if "exclusiveMinimum" in alternative:
            values.append((alternative["exclusiveMinimum"], inside))
    return sorted(set(values))


def _unknown_enum_value(alternatives: list[dict], path: tuple) -> str | None:
    """A string no alternative accepts, if the field's strings are all enumerated."""
    strings = [a for a in alternatives if "string" in _types_of(a) or "enum" in a or "const" in a]
    if not any("enum" in a or "const" in a for a in strings):
        return None
    if any("enum" not in a and "const" not in a for a in strings):
        return None  # some branch takes any string (e.g. model names)
    return f"not_a_valid_{path[-1]}"
