"""From an OpenAPI document to plain JSON Schema (draft 2020-12): ``clean`` turns one OpenAPI schema
node into JSON Schema (annotations dropped, ``nullable`` and ``$recursiveRef`` rewritten, ``oneOf`` as
``anyOf``), and ``Spec`` holds one document's components cleaned once, relaxed per
``evolution``, and cut into self-contained documents (only the components a schema reaches).

Pure: reads no file (``build`` reads the specs and writes the committed schemas).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from respcheck import jsonpointer
from respcheck.schemas import evolution

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://respcheck.dev/schemas/"
COMPONENTS = "#/components/schemas/"

# JSON Schema keywords whose value is a schema / a list of schemas / a map of schemas.
SUBSCHEMA = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
SUBSCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SUBSCHEMA_MAP = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs"})
# Keywords that constrain an instance: kept as they are.
STRUCTURAL = frozenset(
    {
        "type",
        "enum",
        "const",
        "required",
        "format",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "$ref",
    }
)
# Prose, examples and OpenAPI/vendor annotations: they constrain nothing, so they go.
ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "deprecated",
        "discriminator",
        "externalDocs",
        "readOnly",
        "writeOnly",
        "xml",
        "$comment",
        "dataDescription",
        "$recursiveAnchor",
    }
)


@dataclass(frozen=True)
class SpecSource:
    """Which spec file a profile comes from, and which component each schema name is."""

    profile: str
    spec_file: str
    objects: dict[str, str]  # schema name -> JSON pointer of its root in the spec
    events: str  # JSON pointer of the streaming event union


class BuildError(RuntimeError):
    """The specs or doc tables cannot be built as they are; the message says what to fix."""


# ---------------------------------------------------------------------------------------------
# Cleaning one OpenAPI schema node into plain JSON Schema 2020-12


def clean(node: Any, component: str) -> Any:
    """A copy of ``node`` with annotations dropped and OpenAPI-isms rewritten.

    ``component`` is the name of the component ``node`` belongs to: a draft 2019-09
    ``$recursiveRef: "#"`` points back at it (its ``$recursiveAnchor``), which jsonschema-rs
    does not support, so it becomes a plain ``$ref`` to that component.
    """
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        raise BuildError(f"in {component}: a schema must be an object, got {node!r}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ANNOTATIONS or key.startswith("x-") or key == "nullable":
            continue
        if key == "$ref":
            out[key] = rewrite_ref(value, component)
        elif key == "$recursiveRef":
            if value != "#":
                raise BuildError(f"in {component}: unsupported $recursiveRef {value!r}")
            out["$ref"] = "#/$defs/" + component
        elif key in SUBSCHEMA:
            out[key] = clean(value, component)
        elif key == "oneOf":
            # OpenAPI unions are discriminated by ``type`` and their members overlap (e.g.
            # EasyInputMessage and InputMessage both accept a user message), so JSON Schema's
            # "exactly one" would reject valid traffic; "at least one" is the contract.
            union = [clean(v, component) for v in value]
            if "anyOf" in node:  # both on one node: keep each as its own condition
                out.setdefault("allOf", []).append({"anyOf": union})
            else:
                out["anyOf"] = union
        elif key in SUBSCHEMA_LIST:
            out[key] = [*out.get(key, []), *(clean(v, component) for v in value)]
        elif key in SUBSCHEMA_MAP:
            out[key] = {name: clean(v, component) for name, v in value.items()}
        elif key in STRUCTURAL:
            out[key] = copy.deepcopy(value)
        else:
            raise BuildError(f"in {component}: unknown schema keyword {key!r}")
    if node.get("nullable") is True:
        out = make_nullable(out)
    return out


def rewrite_ref(ref: str, component: str) -> str:
    if not ref.startswith(COMPONENTS):
        raise BuildError(f"in {component}: unsupported $ref {ref!r}")
    return "#/$defs/" + ref[len(COMPONENTS) :]


def make_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 ``nullable: true`` (still used in places) as JSON Schema: null allowed."""
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema and not any(k in schema for k in SUBSCHEMA_LIST):
        schema = dict(schema, type=[kind, "null"])
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if isinstance(kind, list):
        schema = dict(schema, type=sorted(set(kind) | {"null"}))
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def refs_in(node: Any) -> Iterable[str]:
    """Every component name a (cleaned) schema refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                yield value[len("#/$defs/") :]
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


# ---------------------------------------------------------------------------------------------
# From a spec to self-contained schema documents


class Spec:
    """One OpenAPI document, with its components cleaned once (and relaxed per ``evolution``)."""

    def __init__(self, source: SpecSource, document: dict[str, Any]) -> None:
        self.source = source
        self.document = document
        self.components = document.get("components", {}).get("schemas", {})
        self._cleaned: dict[str, Any] = {}
        self._tool_items: dict[str, str] | None = None
        self.relaxations: dict[str, list[dict[str, Any]]] = {}  # component -> applied
        self.version = str(document.get("info", {}).get("version", "unknown"))

    def component(self, name: str) -> Any:
        if name not in self._cleaned:
            if name not in self.components:
                raise BuildError(f"{self.source.spec_file}: no component {name!r}")
            cleaned = clean(self.components[name], name)
            self._cleaned[name] = self._relax(name, cleaned)
        return self._cleaned[name]

    def _relax(self, name: str, schema: Any) -> Any:
        """Apply this component's ``evolution`` rules, failing loudly if one no longer fits."""
        profile = self.source.profile
        for rule in evolution.recently_required_for(profile, name):
            target = jsonpointer.resolve(schema, rule.pointer)
            required = target.get("required", []) if isinstance(target, dict) else []
            if rule.field not in required:
                raise BuildError(
                    f"evolution rule {rule.field!r} at {name}{rule.pointer}: "
                    "the spec does not require it there; update evolution.py"
                )
            target["required"] = [f for f in required if f != rule.field]
            if not target["required"]:
                del target["required"]
            self.relaxations.setdefault(name, []).append(rule.provenance())
        for erratum in evolution.errata_for(profile, name):
            if erratum.pointer == "" and erratum.kind == "variant" and erratum.variant is not None:
                schema = {"anyOf": [schema, clean(erratum.variant, name)]}  # a second shape of the whole
                self.relaxations.setdefault(name, []).append(erratum.provenance())
                continue
            parent_ptr, _, key = erratum.pointer.rpartition("/")
            parent = jsonpointer.resolve(schema, parent_ptr)
            if key not in parent:
                raise BuildError(f"erratum at {name}{erratum.pointer}: no such schema")
            if erratum.kind == "nullable":
                parent[key] = make_nullable(parent[key])
            elif erratum.kind == "variant" and erratum.variant is not None:
                parent[key] = {"anyOf": [parent[key], clean(erratum.variant, name)]}
            else:
                raise BuildError(f"erratum at {name}{erratum.pointer}: unknown kind {erratum.kind!r}")
            self.relaxations.setdefault(name, []).append(erratum.provenance())
        for open_enum in evolution.open_enums_in(profile):
            self._open_enums(name, schema, open_enum)
        item_type = self.tool_item_types().get(name)
        if item_type is not None:
            schema = self._relax_tool_item(name, schema, item_type)
        return schema

    def _enum_of(self, schema: Any) -> list[Any] | None:
        """The values of a string enum, inline or behind one $ref (None: not one)."""
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            target = self.components.get(schema["$ref"].removeprefix("#/$defs/"))
            schema = clean(target, "enum") if isinstance(target, dict) else None
        is_enum = isinstance(schema, dict) and isinstance(schema.get("enum"), list)
        if is_enum and schema.get("type") == "string":
            return list(schema["enum"])
        return None

    def _open_enums(self, name: str, schema: Any, rule: evolution.OpenEnum) -> None:
        """Every ``rule.property`` of the component that is a string enum accepts any string."""
        for pointer, properties in _property_maps(schema, ""):
            values = self._enum_of(properties.get(rule.property))
            if values is None:
                continue
            properties[rule.property] = {"anyOf": [properties[rule.property], {"type": "string"}]}
            self.relaxations.setdefault(name, []).append(
                {
                    "kind": "open_enum",
                    "component": name,
                    "pointer": f"{pointer}/properties/{rule.property}",
                    "values": values,
                    "spec_version": self.version,
                    "reason": rule.reason,
                }
            )

    def tool_item_types(self) -> dict[str, str]:
        """Component name -> item type, for the tool items of the profile's output item union."""
        if self._tool_items is None:
            self._tool_items = {}
            for rule in evolution.tool_item_rules_in(self.source.profile):
                union = self.components.get(rule.union, {})
                for member in union.get("oneOf") or union.get("anyOf") or []:
                    component = str(member.get("$ref", "")).removeprefix(COMPONENTS)
                    kind = self.components.get(component, {}).get("properties", {}).get("type", {})
                    values = [kind["const"]] if "const" in kind else kind.get("enum", [])
                    if len(values) == 1 and values[0] not in rule.core:
                        self._tool_items[component] = values[0]
        return self._tool_items

    def _relax_tool_item(self, name: str, schema: Any, item_type: str) -> Any:
        """Apply ``evolution.ToolItemRule``: identity required; evidenced fields once finished.

        With evidenced fields the item has two shapes (``anyOf``): finished, owing them, and
        running (status one of ``unfinished``), owing only its identity.
        """
        [rule] = evolution.tool_item_rules_in(self.source.profile)
        required = schema.get("required", []) if isinstance(schema, dict) else []
        extra = [f for f in required if f not in rule.identity]
        if not extra:
            return schema
        owed = [f for f in extra if (item_type, f) in evolution.ALWAYS_SENT]
        soft = [f for f in extra if f not in owed]
        identity = [f for f in required if f in rule.identity]
        relaxed = {**schema, "required": identity}
        if owed:
            finished = {**schema, "required": [*identity, *owed]}
            status = schema.get("properties", {}).get("status", {})
            running_status = {"allOf": [status, {"enum": list(rule.unfinished)}]}
            running = {
                **relaxed,
                "properties": {**schema.get("properties", {}), "status": running_status},
                "required": sorted({*identity, "status"}, key=[*identity, "status"].index),
            }
            relaxed = {"anyOf": [finished, running]}
        self.relaxations.setdefault(name, []).append(
            {
                "kind": "tool_item_required",
                "component": name,
                "item_type": item_type,
                "owed_when_finished": {f: evolution.ALWAYS_SENT[(item_type, f)] for f in owed},
                "warning_when_missing": soft,
                "unfinished_statuses": list(rule.unfinished),
                "spec_version": self.version,
                "reason": "tool item: only its identity is required; a property OpenAI sent on every "
                "finished item recorded in tests/fixtures stays required once it is finished; the rest "
                "are warnings when missing (evolution.ToolItemRule)",
            }
        )
        return relaxed

    def at(self, pointer: str) -> Any:
        return jsonpointer.resolve(self.document, pointer)

    def document_for(self, root: Any, rel_path: str) -> tuple[dict[str, Any], list[str]]:
        """A self-contained schema: ``root`` plus every component it reaches, in ``$defs``."""
        reached: dict[str, Any] = {}
        pending = sorted(set(refs_in(root)))
        while pending:
            name = pending.pop()
            if name in reached:
                continue
            reached[name] = self.component(name)
            pending.extend(n for n in refs_in(reached[name]) if n not in reached)
        schema = {"$schema": DIALECT, "$id": ID_BASE + rel_path + ".json", **root}
        if reached:
            schema["$defs"] = reached
        return schema, sorted(reached)


def _property_maps(schema: Any, pointer: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Each ``properties`` map of a component, inline objects and allOf/anyOf members included,
    with the pointer of the schema holding it ($refs are other components: not followed)."""
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("properties"), dict):
        yield pointer, schema["properties"]
        for key, value in schema["properties"].items():
            yield from _property_maps(value, f"{pointer}/properties/{key}")
    for key in ("allOf", "anyOf"):
        for index, member in enumerate(schema.get(key) or []):
            yield from _property_maps(member, f"{pointer}/{key}/{index}")
    if isinstance(schema.get("items"), dict):
        yield from _property_maps(schema["items"], f"{pointer}/items")




def component_ref(pointer: str) -> dict[str, str] | None:
    prefix = "/components/schemas/"
    if pointer.startswith(prefix) and "/" not in pointer[len(prefix) :]:
        return {"$ref": "#/$defs/" + pointer[len(prefix) :]}
    return None


def event_members(spec: Spec) -> list[str]:
    """The component names in the streaming event union."""
    union = spec.at(spec.source.events)
    members = union.get("oneOf") or union.get("anyOf") or []
    names = []
    for member in members:
        ref = member.get("$ref", "")
        if not ref.startswith(COMPONENTS):
            raise BuildError(f"{spec.source.spec_file}: event union member is not a $ref: {member}")
        names.append(ref[len(COMPONENTS) :])
    return names


def event_type(spec: Spec, component: str) -> str:
    """The ``type`` constant an event component declares (its file name)."""
    schema = clean(spec.components[component], component)  # as written: relaxing may wrap it
    kind = schema.get("properties", {}).get("type", {})
    values = [kind["const"]] if "const" in kind else kind.get("enum", [])
    if len(values) != 1 or not isinstance(values[0], str):
        raise BuildError(f"{component}: cannot tell its event type from {kind!r}")
    return values[0]
