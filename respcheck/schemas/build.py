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
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from respcheck.schemas import doc_tables
from respcheck.schemas.openapi import (
    COMPONENTS,
    DIALECT,
    ID_BASE,
    BuildError,
    Spec,
    SpecSource,
    clean,
    component_ref,
    event_members,
    event_type,
)

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
