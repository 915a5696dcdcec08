"""Derive the committed JSON Schemas (draft 2020-12) from the specs and the doc tables.

``build_all(specs_dir, out_dir)`` writes:

- ``openai/`` and ``openresponses/``: one self-contained schema per contract object
  (``response``, ``create_request``, ``error``...) and one per streaming event type
  (``events/<type>.json``), each holding only the components it reaches, inlined into
  ``$defs``;
- ``docs/<relay>/``: what each relay page publishes (see ``doc_tables``);
- ``provenance.json``: for every file, where it came from and what was relaxed.

The output is a pure function of the inputs (sorted keys, fixed indent, trailing
newline), so re-running the build reproduces the committed files byte for byte.
Run it as ``python -m respcheck.schemas.build [--specs DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from respcheck import jsonpointer
from respcheck.schemas import doc_tables, evolution

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


SPEC_SOURCES = (
    SpecSource(
        profile="openai",
        spec_file="openai-openapi.json",
        objects={
            "response": "/components/schemas/Response",
            "create_request": "/components/schemas/CreateResponse",
            "error": "/components/schemas/ErrorResponse",
            "input_items_list": "/components/schemas/ResponseItemList",
            "input_tokens_result": "/components/schemas/TokenCountsResource",
            "compact_result": "/components/schemas/CompactResource",
        },
        events="/components/schemas/ResponseStreamEvent",
    ),
    SpecSource(
        profile="openresponses",
        spec_file="openresponses-openapi.json",
        objects={
            "response": "/components/schemas/ResponseResource",
            "create_request": "/components/schemas/CreateResponseBody",
            "compact_result": "/components/schemas/CompactResource",
        },
        events="/paths/~1responses/post/responses/200/content/text~1event-stream/schema",
    ),
)

# Objects a spec uses but never writes down as a schema, built from components it has.
# Each says why it exists; provenance records the basis.
SYNTHESIZED: dict[tuple[str, str], dict[str, Any]] = {
    ("openai", "deleted"): {
        "basis": "DELETE /responses/{response_id} documents only '200 OK' with no body schema; "
        "modelled on the spec's other deletion objects (e.g. DeletedConversationResource: "
        "object/deleted/id) with object 'response.deleted', as OpenAI returns it",
        "schema": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "object": {"type": "string", "enum": ["response.deleted"]},
                "deleted": {"type": "boolean"},
            },
            "required": ["id", "object", "deleted"],
        },
        "pointer": "/paths/~1responses~1{response_id}/delete/responses/200",
    },
    ("openresponses", "error"): {
        "basis": "the spec defines the error payload (ErrorPayload, used by the 'error' "
        'stream event) but no HTTP error body; wrapped as {"error": ErrorPayload}, the '
        "shape OpenAI's ErrorResponse has",
        "schema": {
            "type": "object",
            "properties": {"error": {"$ref": COMPONENTS + "ErrorPayload"}},
            "required": ["error"],
        },
        "pointer": "/components/schemas/ErrorPayload",
    },
}


# What the build does to every spec schema, besides the per-field relaxations it records.
REWRITES = [
    "dropped annotations: description, title, example(s), default, deprecated, "
    "discriminator, externalDocs, readOnly, writeOnly, x-* vendor keys",
    "$ref #/components/schemas/X -> #/$defs/X (only the components a schema reaches)",
    "OpenAPI nullable: true -> null added to type/enum, or anyOf [schema, {type: null}]",
    "draft 2019-09 $recursiveRef: '#' -> $ref to the component holding $recursiveAnchor "
    "(jsonschema-rs supports neither); $recursiveAnchor dropped",
    "oneOf -> anyOf: the spec's unions are discriminated by type and their members overlap "
    "(e.g. EasyInputMessage vs InputMessage), so 'exactly one' would reject valid traffic",
]


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


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class Built:
    rel_path: str  # e.g. "openai/events/response.created" (no .json)
    schema: dict[str, Any]
    provenance: dict[str, Any]


def read_spec(path: Path) -> dict[str, Any]:
    """The OpenAPI document at ``path``; a missing or unreadable file is a BuildError naming it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BuildError(f"{path}: cannot read the spec ({exc.strerror or exc})") from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise BuildError(f"{path}: not a JSON OpenAPI document ({exc})") from None
    if not isinstance(document, dict):
        raise BuildError(f"{path}: not an OpenAPI document (a JSON {type(document).__name__})")
    return document


def spec_version(path: Path) -> str:
    """The ``info.version`` of a spec (what "not in the spec's list as of vX" names)."""
    return str(read_spec(path).get("info", {}).get("version", "unknown"))


def build_spec_profile(source: SpecSource, specs_dir: Path) -> list[Built]:
    spec = Spec(source, read_spec(specs_dir / source.spec_file))
    out: list[Built] = []

    def add(rel: str, root: dict[str, Any], origin: dict[str, Any]) -> None:
        schema, reached = spec.document_for(root, rel)
        relaxed = [r for name in reached for r in spec.relaxations.get(name, [])]
        prov = {**origin, "components": reached}
        if relaxed:
            prov["relaxations"] = relaxed
        out.append(Built(rel, schema, prov))

    base = {"source": "spec", "file": source.spec_file}
    for name, pointer in source.objects.items():
        root = component_ref(pointer) or clean(spec.at(pointer), name)
        add(f"{source.profile}/{name}", root, {**base, "pointer": pointer})
    for (profile, name), synth in sorted(SYNTHESIZED.items()):
        if profile == source.profile:
            add(
                f"{profile}/{name}",
                clean(synth["schema"], name),
                {
                    **base,
                    "source": "synthesized",
                    "pointer": synth["pointer"],
                    "basis": synth["basis"],
                },
            )
    key = "oneOf" if "oneOf" in spec.at(source.events) else "anyOf"
    for index, component in enumerate(event_members(spec)):
        kind = event_type(spec, component)
        add(
            f"{source.profile}/events/{kind}",
            {"$ref": "#/$defs/" + component},
            {**base, "pointer": f"{source.events}/{key}/{index}", "component": component},
        )
    return out


def build_doc_profiles() -> list[Built]:
    out = []
    for relay, name, schema, origin in doc_tables.documents():
        rel = f"docs/{relay}/{name}"
        out.append(Built(rel, {"$schema": DIALECT, "$id": ID_BASE + rel + ".json", **schema}, origin))
    return out


def dumps(document: Any) -> str:
    """The one serialization: sorted keys, two-space indent, UTF-8 as is, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_all(specs_dir: Path, out_dir: Path, docs_dir: Path | None = None) -> list[Path]:
    """Write every schema and ``provenance.json`` under ``out_dir``; return the paths written.

    The doc profiles are built from ``doc_tables`` (data in the repo); when the doc pages
    are at hand (``docs_dir``, by default ``docs/`` inside ``specs_dir``), every row is
    first checked to still read as recorded there.
    """
    docs_dir = Path(docs_dir) if docs_dir is not None else Path(specs_dir) / "docs"
    if docs_dir.is_dir():
        stale = doc_tables.verify(docs_dir)
        if stale:
            raise BuildError("doc tables out of date:\n  " + "\n  ".join(stale))
    built: list[Built] = []
    for source in SPEC_SOURCES:
        built.extend(build_spec_profile(source, Path(specs_dir)))
    built.extend(build_doc_profiles())
    seen = [b.rel_path for b in built]
    if len(seen) != len(set(seen)):
        raise BuildError(f"two schemas share a path: {sorted(p for p in seen if seen.count(p) > 1)}")

    out_dir = Path(out_dir)
    written = []
    for b in sorted(built, key=lambda b: b.rel_path):
        path = out_dir / f"{b.rel_path}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(b.schema), encoding="utf-8")
        written.append(path)
    provenance = {
        "specs": {s.profile: spec_version(Path(specs_dir) / s.spec_file) for s in SPEC_SOURCES},
        "about": "Where each schema under schemas/ came from. Regenerate with "
        "`respcheck schemas build` (python -m respcheck.schemas.build); do not edit by hand.",
        "rewrites": REWRITES,
        "schemas": {f"{b.rel_path}.json": b.provenance for b in built},
    }
    prov_path = out_dir / "provenance.json"
    prov_path.write_text(dumps(provenance), encoding="utf-8")
    written.append(prov_path)
    remove_stale(out_dir, written)
    return written


OWNED_DIRS = ("docs", "openai", "openresponses")  # what the build writes under out_dir


def remove_stale(out_dir: Path, written: list[Path]) -> None:
    """Delete schema files a previous build wrote that this one no longer produces, so the
    output folder holds exactly the build (only inside the folders the build owns)."""
    keep = {p.resolve() for p in written}
    for root in OWNED_DIRS:
        for path in sorted((out_dir / root).rglob("*.json")):
            if path.resolve() not in keep:
                path.unlink()


def default_specs_dir() -> Path:
    """The repository's ``specs/`` (a checkout only: the wheel does not carry the specs)."""
    return Path(__file__).resolve().parents[2] / "specs"


def default_out_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "schemas"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m respcheck.schemas.build", description=__doc__)
    parser.add_argument("--specs", type=Path, default=default_specs_dir())
    parser.add_argument("--docs", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=default_out_dir())
    args = parser.parse_args(argv)
    written = build_all(args.specs, args.out, args.docs)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
