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
    why: str = ""  # how the finding says why it is owed (default: "required since <since>")

    @property
    def owed(self) -> str:
        return self.why or f"required since {self.since}"

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
)

ERRATA: tuple[Erratum, ...] = (
    # The whole component gains a second shape (pointer ""): OpenAI streams its error event
    # nested, as Open Responses documents it (ErrorStreamingEvent), while OpenAI's own spec
    # documents the flat one; clients meet both. Open Responses stays strict: its spec has
    # the nested shape only.
    Erratum(
        "openai",
        "ResponseErrorEvent",
        "",
        "variant",
        reason='OpenAI streams {"type": "error", "sequence_number": 2, "error": {"type", "code", '
        '"message", "param"}} where its spec documents code/message/param at the top level: seen 3 '
        "times in the 815 real OpenAI exchanges judged for issue 11; the fixtures record no OpenAI "
        "error event (0), so tests/fixtures/cases/class3_nested_error_event.jsonl is that stream, "
        "rebuilt from a recorded one",
        variant={
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["error"]},
                "sequence_number": {"type": "integer"},
                "error": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "code": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                        "param": {"type": ["string", "null"]},
                    },
                    "required": ["type", "code", "message", "param"],
                },
            },
            "required": ["type", "sequence_number", "error"],
        },
    ),
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


# ---------------------------------------------------------------------------------------------
# Rules the build applies to whole families of the spec (not to one field each)


@dataclass(frozen=True)
class OpenEnum:
    """Enums on values the *server* invents (error codes) grow faster than the spec: the build
    accepts any string there, and ``schema.open_enum`` warns about a value not in the spec's
    list. Enums on values the client chose (status, item type, role) stay closed."""

    profile: str
    property: str  # every property of this name whose schema is a string enum
    reason: str


OPEN_ENUMS: tuple[OpenEnum, ...] = (
    OpenEnum(
        "openai",
        "code",
        reason="error codes are the server's to choose: OpenAI answered response.error.code "
        '"insufficient_quota", which ResponseErrorCode does not list (real traffic, issue 11); '
        "0 of the fixtures' OpenAI responses carry an error code outside the list, 0 carry one at all",
    ),
)


def open_enums_in(profile: str) -> list[OpenEnum]:
    return [rule for rule in OPEN_ENUMS if rule.profile == profile]


@dataclass(frozen=True)
class ToolItemRule:
    """Spec-required properties of tool items (every output item type beyond the core ones).

    OpenAI adds tool item types faster than it sends every property its spec requires of
    them: an image_generation_call announced without ``result``, a shell_call without
    ``environment`` (real traffic, issue 11). So for each member of ``union`` whose type is
    not in ``core``, the build keeps required only the item's identity; a property real
    traffic shows OpenAI always sends on a finished item (``ALWAYS_SENT``) stays required
    once the item is finished; any other is reported missing as a warning on a finished item
    (``schema.recently_required``). A snapshot taken while the item runs (status in
    ``unfinished``: ``output_item.added``, ``response.created``/``in_progress``) owes only
    its identity.
    """

    profile: str
    union: str  # the component listing the output item types
    core: tuple[str, ...] = ("message", "function_call", "reasoning")
    identity: tuple[str, ...] = ("type", "id", "call_id", "status")
    unfinished: tuple[str, ...] = ("in_progress", "searching", "generating", "interpreting", "queued")


TOOL_ITEM_RULES: tuple[ToolItemRule, ...] = (ToolItemRule("openai", "OutputItem"),)

# Evidence: spec-required properties OpenAI sent on every finished item of the type recorded
# in tests/fixtures (provider openai; output_item.done events and final outputs).
ALWAYS_SENT: dict[tuple[str, str], str] = {
    ("file_search_call", "queries"): "6 of 6",
    # output_item.added announces a web_search_call (in_progress) before its action (11 of 11).
    ("web_search_call", "action"): "56 of 56",
    ("image_generation_call", "result"): "9 of 9",
    ("code_interpreter_call", "container_id"): "12 of 12",
    ("code_interpreter_call", "code"): "12 of 12",
    ("code_interpreter_call", "outputs"): "12 of 12",
    ("tool_search_call", "execution"): "13 of 13",
    ("tool_search_call", "arguments"): "13 of 13",
    ("tool_search_output", "execution"): "10 of 10",
    ("tool_search_output", "tools"): "10 of 10",
    ("compaction", "encrypted_content"): "3 of 3",
    ("mcp_list_tools", "server_label"): "8 of 8",
    ("mcp_list_tools", "tools"): "8 of 8",
    ("mcp_call", "server_label"): "5 of 5",
    ("mcp_call", "name"): "5 of 5",
    ("mcp_call", "arguments"): "5 of 5",
}


def tool_item_rules_in(profile: str) -> list[ToolItemRule]:
    return [rule for rule in TOOL_ITEM_RULES if rule.profile == profile]
