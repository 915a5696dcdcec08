"""The one schema registry: load ``schemas/<profile>/<name>.json`` and compile it once per process.

jsonschema-rs decides valid / invalid (it is about 600x faster than the pure-Python
``jsonschema``, which matters when every event of every stream is validated). A failure is
explained on demand: the checks explain jsonschema-rs's own errors (``raw_errors``, read by
``schemas.explain``); ``errors`` asks the pure-Python ``jsonschema``, whose ``best_match``
names the one field to look at (the reference server's request validation uses it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
import jsonschema_rs

from respcheck import jsonpointer
from respcheck.resources import schemas_root


@dataclass(frozen=True, slots=True)
class SchemaError:
    pointer: str  # JSON pointer into the validated instance
    message: str


class SchemaValidator:
    """A compiled schema: a fast yes/no, and a precise explanation on demand."""

    def __init__(self, schema: dict[str, Any], name: str) -> None:
        self.name = name
        self.schema = schema
        self._fast = jsonschema_rs.validator_for(schema)
        # Valid or not: the engine's own method, with no Python frame around it (it is called
        # for every event of every stream).
        self.is_valid: Callable[[Any], bool] = self._fast.is_valid
        self._slow: jsonschema.protocols.Validator | None = None

    def raw_errors(self, instance: Any) -> list[Any]:
        """jsonschema-rs's own errors (each ``kind`` carries a failed union's member errors as
        ``context``), for callers that explain failures themselves (``schemas.explain``)."""
        return list(self._fast.iter_errors(instance))

    def errors(self, instance: Any, limit: int | None = 3) -> list[SchemaError]:
        """The most relevant reasons ``instance`` is invalid (empty when it is valid)."""
        if self._fast.is_valid(instance):
            return []
        if self._slow is None:
            cls = jsonschema.validators.validator_for(self.schema, default=jsonschema.Draft202012Validator)
            self._slow = cls(self.schema)
        found = list(self._slow.iter_errors(instance))
        if not found:  # the two engines disagree; report what the fast one says
            return [
                SchemaError(_pointer(e.instance_path), e.message)
                for e in list(self._fast.iter_errors(instance))[:limit]
            ]
        best = jsonschema.exceptions.best_match(found)
        ordered = [best] + [e for e in sorted(found, key=jsonschema.exceptions.relevance) if e is not best]
        return [SchemaError(_pointer(e.absolute_path), e.message) for e in ordered[:limit]]


def _pointer(path: Any) -> str:
    return jsonpointer.join("", *path)


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
