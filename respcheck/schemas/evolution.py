"""Spec evolution: fields the contract now requires that most real traffic predates.

The OpenAPI description is a snapshot of today's contract. When OpenAI adds a field and
marks it required, every recording (and many relays) made before that day fails the
schema, although nothing is broken for a client. Each such field is listed here once,
with the decision taken about it:

- the build removes it from ``required`` in the derived schema (``schema.response`` and
  friends stay errors for everything else) and records that in ``provenance.json``;
- the check ``schema.recently_required`` reports its absence with "required since ...",
  at the severity chosen here.

A rule is added only for a field that real OpenAI traffic (tests/fixtures, provider
``openai``) demonstrably omits, with the evidence in ``reason``. Never loosen a schema
wholesale: a field missing here is a relay's fault and stays an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from respcheck.findings import Severity


@dataclass(frozen=True, eq=False)
class RecentlyRequired:
    """One field a spec component requires that real traffic may still omit."""

    profile: str  # the spec profile whose schema is relaxed ("openai", "openresponses")
    component: str  # the spec component holding the ``required`` list
    pointer: str  # JSON pointer, inside the (cleaned) component, to the object schema
    field: str  # the property no longer required
    where: str  # where a relay engineer finds it, e.g. "usage.input_tokens_details"
    since: str  # when the spec started requiring it (best known), e.g. "2026-07"
    severity: Severity  # how schema.recently_required reports its absence
    reason: str  # why relaxed: the evidence from real traffic
    # Which objects of an instance the rule is about: those found at a path ending in
    # ``under_keys`` and/or with ``type == with_type``; none whose ``status`` is in
    # ``unless_status``.
    under_keys: tuple[str, ...] = ()
    with_type: str | None = None
    unless_status: tuple[str, ...] = ()

    def provenance(self) -> dict[str, Any]:
        return {
            "kind": "removed_from_required",
            "component": self.component,
            "pointer": self.pointer,
            "field": self.field,
            "since": self.since,
            "reason": self.reason,
        }

    def matches(self, keys: tuple[str, ...], obj: dict[str, Any]) -> bool:
        """Whether ``obj``, found under the object keys ``keys``, is one this rule is about."""
        if self.with_type is not None and obj.get("type") != self.with_type:
            return False
        if self.under_keys and keys[-len(self.under_keys) :] != self.under_keys:
            return False
        return obj.get("status") not in self.unless_status


@dataclass(frozen=True)
class Erratum:
    """A place where the spec's type is narrower than what OpenAI itself sends.

    ``nullable``: OpenAI sends ``null`` where the spec says a plain type.
    ``variant``: OpenAI sends an object shape the spec's union does not list; ``variant``
    is that shape, as tight as the evidence allows.
    """

    profile: str
    component: str
    pointer: str  # JSON pointer, inside the (cleaned) component, to the property schema
    kind: str  # "nullable" | "variant"
    reason: str
    variant: dict[str, Any] | None = None

    def provenance(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "component": self.component,
            "pointer": self.pointer,
            "reason": self.reason,
        }
        if self.variant is not None:
            out["variant"] = self.variant
        return out


# Decisions, one per field. Evidence counts are over tests/fixtures, provider "openai".
RECENTLY_REQUIRED: tuple[RecentlyRequired, ...] = (
    # Warning: a client reading it gets nothing, but relays should pass it through now.
    RecentlyRequired(
        "openai",
        "ResponseUsage",
        "/properties/input_tokens_details",
        "cache_write_tokens",
        where="usage.input_tokens_details",
        since="2026-07",
        severity=Severity.WARNING,
        reason="added as required in 2026-07; absent from every recorded OpenAI usage block "
        "(337 non-streamed responses, 69 streams, 7 compactions)",
        under_keys=("usage", "input_tokens_details"),
    ),
    # Warning: present in all streamed output_text events since sequence_number exists,
    # but older non-streamed responses lack it on their parts.
    RecentlyRequired(
        "openai",
        "OutputTextContent",
        "",
        "logprobs",
        where="output_text content part",
        since="spec v2.3.0 (date not published)",
        severity=Severity.WARNING,
        reason="34 of the 223 output_text parts in recorded non-streamed OpenAI responses "
        "lack logprobs; the streamed response.output_text.* events carry it in every stream "
        "recorded since sequence_number exists, so those events stay strict",
        with_type="output_text",
    ),
    # Info: OpenAI's own streams never send it (0 of 18 recorded events), so its absence
    # is normal behaviour, not a relay fault; noted for relays that validate strictly.
    RecentlyRequired(
        "openai",
        "ResponseFunctionCallArgumentsDoneEvent",
        "",
        "name",
        where="response.function_call_arguments.done event",
        since="spec v2.3.0 (date not published)",
        severity=Severity.INFO,
        reason="none of the 18 recorded OpenAI response.function_call_arguments.done events carries name",
        with_type="response.function_call_arguments.done",
    ),
    # Warning, but only once the call is under way: OpenAI adds the web_search_call item
    # (status in_progress) before it knows the action (11 of 11 recorded), and always
    # has it on output_item.done (11 of 11).
    RecentlyRequired(
        "openai",
        "WebSearchToolCall",
        "",
        "action",
        where="web_search_call output item",
        since="spec v2.3.0 (date not published)",
        severity=Severity.WARNING,
        reason="OpenAI's response.output_item.added for a web_search_call (status "
        "in_progress) has no action yet (11 of 11 recorded); every completed call has one",
        with_type="web_search_call",
        unless_status=("in_progress", "searching"),
    ),
)

ERRATA: tuple[Erratum, ...] = (
    Erratum(
        "openresponses",
        "JsonSchemaResponseFormat",
        "/properties/schema",
        "variant",
        reason="the spec types the echoed json_schema format's schema as null only (anyOf: "
        "[{type: null}]), so every Response that echoes a json_schema format fails, OpenAI's "
        "recorded structured-output responses included; the echo is the request's JSON Schema "
        "object",
        variant={"type": "object"},
    ),
    Erratum(
        "openai",
        "ModelResponseProperties",
        "/properties/user",
        "nullable",
        reason='deprecated field: OpenAI echoes "user": null in every recorded response',
    ),
    Erratum(
        "openai",
        "Response",
        "/allOf/2/properties/usage",
        "nullable",
        reason='OpenAI sends "usage": null until a response finishes (response.created, '
        "in_progress, queued; 150+ recorded)",
    ),
    Erratum(
        "openai",
        "MCPTool",
        "/properties/server_description",
        "nullable",
        reason="OpenAI echoes an unset server_description as null (12 recorded response objects)",
    ),
    Erratum(
        "openai",
        "MCPTool",
        "/properties/server_url",
        "nullable",
        reason="OpenAI echoes server_url: null for a connector-backed MCP tool (recorded)",
    ),
    Erratum(
        "openai",
        "TextResponseFormatJsonSchema",
        "/properties/description",
        "nullable",
        reason="OpenAI echoes an unset json_schema description as null (12 recorded response objects)",
    ),
    Erratum(
        "openai",
        "WebSearchActionSearch",
        "/properties/sources/items",
        "variant",
        reason='OpenAI lists API sources as {"type": "api", "name": ...} (e.g. '
        "oai-weather, recorded), which the spec's url-only source does not allow",
        variant={
            "type": "object",
            "properties": {"type": {"enum": ["api"], "type": "string"}, "name": {"type": "string"}},
            "required": ["type", "name"],
        },
    ),
)


def recently_required_for(profile: str, component: str) -> list[RecentlyRequired]:
    return [r for r in RECENTLY_REQUIRED if r.profile == profile and r.component == component]


def errata_for(profile: str, component: str) -> list[Erratum]:
    return [e for e in ERRATA if e.profile == profile and e.component == component]


def recently_required_in(profile: str) -> list[RecentlyRequired]:
    return [r for r in RECENTLY_REQUIRED if r.profile == profile]
