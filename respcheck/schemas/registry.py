"""The one schema registry: load ``schemas/<profile>/<name>.json`` and compile it once per process.

jsonschema-rs decides valid / invalid (it is about 600x faster than the pure-Python
``jsonschema``, which matters when every event of every stream is validated). A failure is
explained on demand from jsonschema-rs's own errors (``raw_errors``) by ``schemas.explain``:
``errors`` gives its problems (the checks, the reference server's request validation).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema_rs

from respcheck.resources import schemas_root
from respcheck.schemas import explain
from respcheck.schemas.explain import Problem


class SchemaValidator:
    """A compiled schema: a fast yes/no, and a precise explanation on demand."""

    def __init__(self, schema: dict[str, Any], name: str) -> None:
        self.name = name
        self.schema = schema
        self._fast = jsonschema_rs.validator_for(schema)
        # Valid or not: the engine's own method, with no Python frame around it (it is called
        # for every event of every stream).
        self.is_valid: Callable[[Any], bool] = self._fast.is_valid
        self._every: Callable[[list[Any]], bool] | None = None

    def all_valid(self, instances: list[Any]) -> bool:
        """Whether every one of ``instances`` is valid, in one call of the engine.

        A stream is mostly deltas of a few types: asking once per type, not once per event,
        is cheaper by the Python call per event; a caller explains the invalid ones one by one.
        """
        if self._every is None:
            # The schema as the items of an array; its own $ref and $defs stay where they resolve.
            schema = self.schema
            item = {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id")}
            array = {
                **({"$schema": schema["$schema"]} if "$schema" in schema else {}),
                "$defs": {**schema.get("$defs", {}), "respcheck_item": item},
                "type": "array",
                "items": {"$ref": "#/$defs/respcheck_item"},
            }
            self._every = jsonschema_rs.validator_for(array).is_valid
        return self._every(instances)

    def raw_errors(self, instance: Any) -> list[Any]:
        """jsonschema-rs's own errors (each ``kind`` carries a failed union's member errors as
        ``context``), for callers that explain failures themselves (``schemas.explain``)."""
        return list(self._fast.iter_errors(instance))

    def errors(self, instance: Any, limit: int | None = None) -> list[Problem]:
        """Why ``instance`` is invalid (empty when it is valid), most specific first: the first
        ``limit`` problems, or all of them (``schemas.explain``, the one place a schema error
        becomes words; each problem's ``pointer`` says where)."""
        if self.is_valid(instance):
            return []
        return explain.problems(self.raw_errors(instance), limit, self.schema)


@cache
def load_validator(profile_dir: str, name: str) -> SchemaValidator | None:
    """The compiled validator for ``schemas/<profile_dir>/<name>.json``, or None if absent."""
    path = schemas_root() / profile_dir / f"{name}.json"
    if not path.is_file():
        return None
    return SchemaValidator(json.loads(path.read_text(encoding="utf-8")), f"{profile_dir}/{name}")


def available(profile_dir: str, subdir: str = "") -> list[str]:
    """Names of the schemas a profile directory holds (e.g. the event types under ``events``)."""
    base = schemas_root() / profile_dir / subdir
    if not base.is_dir():
        return []
    return sorted(p.stem for p in base.glob("*.json"))


@cache
def provenance() -> dict[str, Any]:
    """``schemas/provenance.json``: where each schema came from and what the build relaxed."""
    path = schemas_root() / "provenance.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@cache
def schema_clause(schema_name: str) -> str:
    """The clause a schema enforces, as a reader follows it: the spec file and pointer (or the doc page)
    it was derived from, and the derived file, e.g. ``openai-openapi.json#/components/schemas/Response
    (schemas/openai/response.json)``. ``schema_name`` is a validator's name (``openai/response``)."""
    derived = f"schemas/{schema_name.split(' ', 1)[0]}.json"
    origin = provenance().get("schemas", {}).get(derived.removeprefix("schemas/"), {})
    source = origin.get("file")
    if source and origin.get("pointer"):
        return f"{source}#{origin['pointer']} ({derived})"
    return f"{source} ({derived})" if source else derived


@cache
def relaxations(profile_dir: str, kind: str) -> tuple[dict[str, Any], ...]:
    """The build's relaxations of one kind in a profile's schemas, each once (by component).

    Read once per process (schema.open_enum asks for every exchange); callers must not change them.
    """
    found: dict[str, dict[str, Any]] = {}
    for rel_path, origin in sorted(provenance().get("schemas", {}).items()):
        if rel_path.startswith(profile_dir + "/"):
            for relaxation in origin.get("relaxations", ()):
                if relaxation.get("kind") == kind:
                    key = f"{relaxation.get('component')}{relaxation.get('pointer', '')}"
                    found.setdefault(key, relaxation)
    return tuple(found.values())
