"""Checks: every JSON object an exchange carries validates against its profile's schema.

Which schema: ``schemas/<profile>/<name>.json`` (``Profile.validator``; doc profiles fall
back to openai for what their page does not define). jsonschema-rs answers "valid?" on the
fast path; only a failure is explained, from jsonschema-rs's own errors with unions
resolved to the member the relay meant (``schemas.explain``), in words like
``response.usage.input_tokens_details: required property 'cached_tokens' is missing``.

Decisions recorded here:
- A stream's events carrying a ``response`` (created, in_progress, completed...) are
  judged once: the ``response`` by ``schema.response``, the rest of the event by
  ``schema.event`` (against the event schema with ``response: {type: object}``), so one
  fault gives one finding, and the Response is validated once.
- The same problem in many events (every delta missing ``sequence_number``) is one finding
  naming the first event and the count, not one per event.
- An event type the profile has no schema for: allowed when vendor-prefixed (anything not
  in the ``response.`` namespace and not ``error``, e.g. ``openrouter:metadata``); a
  warning when it claims the ``response.`` namespace (a typo, or an event from a newer
  spec).
- Fields the spec requires since recently (``schemas.evolution``) are removed from the
  schemas and reported by ``schema.recently_required`` at the severity decided there.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from respcheck import jsonpointer
from respcheck.checks.common import (
    RESPONSE_ENDPOINTS,
    at,
    body_ptr,
    event_ptr,
    is_success,
    is_vendor_event,
    positions_by_type,
    response_objects,
    stream_view,
    typed_events,
)
from respcheck.checks.registry import CheckContext, Violation, check
from respcheck.exchange import Exchange
from respcheck.findings import Severity
from respcheck.schemas import evolution
from respcheck.schemas.registry import SchemaValidator, relaxations, schema_clause

CLAUSE = "schemas/{profile}/{name}.json (source: schemas/provenance.json)"


# ---------------------------------------------------------------------------------------------
# Explaining a failure


def subject(label: str, path: tuple[Any, ...]) -> str:
    """Where a problem is, e.g. ``response.usage`` or ``response.output_text.delta event: logprobs``."""
    where = jsonpointer.dotted(path)
    if label == "response":
        return "response" + ("" if not where else where if where.startswith("[") else "." + where)
    return f"{label}: {where}" if where else label


def object_violations(
    validator: SchemaValidator, instance: Any, base_ptr: str, label: str
) -> Iterator[Violation]:
    # Every problem of an object is a finding (three were shown and the rest hidden: issue 10); more
    # than FOLD_AFTER on one exchange are folded into one finding that still names each (fold_repeats).
    for p in validator.errors(instance):
        yield Violation(f"{subject(label, p.path)}: {p.text}", at=at(base_ptr, *p.path),
                        clause=schema_clause(validator.name))


# ---------------------------------------------------------------------------------------------
# Response objects, events


@check(
    "schema.response",
    clause=CLAUSE.format(profile="<profile>", name="response"),
    summary="Every Response object (JSON body, or the response a stream event carries) "
    "validates against the profile's Response schema.",
    endpoints=RESPONSE_ENDPOINTS,
)
def response_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    validator = ctx.profile.validator("response")
    if validator is None:
        return
    for obj, ptr in response_objects(ex):
        yield from object_violations(validator, obj, ptr, "response")


@cache
def without_response(validator: SchemaValidator) -> SchemaValidator:
    """An event schema whose ``response`` need only be an object: schema.response judges it.

    Validating the Response once, not twice, halves the work on the largest events, and
    compiling the trimmed schema is ~100x cheaper than one holding the whole Response.
    """
    schema = validator.schema
    name = schema.get("$ref", "").removeprefix("#/$defs/")
    event = schema.get("$defs", {}).get(name)
    if not isinstance(event, dict) or "response" not in event.get("properties", {}):
        return validator
    event = {**event, "properties": {**event["properties"], "response": {"type": "object"}}}
    defs = reachable_defs(schema["$defs"], event)
    trimmed = {**schema, "$defs": {**defs, name: event}}
    return SchemaValidator(trimmed, f"{validator.name} (response judged by schema.response)")


def reachable_defs(defs: dict[str, Any], root: Any) -> dict[str, Any]:
    """The ``$defs`` entries ``root`` reaches through local ``$ref``s."""
    found: dict[str, Any] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = ref.removeprefix("#/$defs/")
                if target not in found and target in defs:
                    found[target] = defs[target]
                    pending.append(defs[target])
            pending.extend(v for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _event_validators(ex: Exchange, ctx: CheckContext) -> tuple[dict[str, SchemaValidator | None], set[str]]:
    """The validator of each event type of the stream (None: the profile has no schema for it), and
    the types some event of which is invalid against its type's (asked once per type, not per event)."""
    typed = typed_events(ex)
    validators: dict[str, SchemaValidator | None] = {}
    invalid: set[str] = set()
    for event_type, where in positions_by_type(ex).items():
        found = ctx.profile.validator(f"events/{event_type}")
        validator = validators[event_type] = without_response(found) if found is not None else None
        if validator is None:
            continue
        if len(where) == 1:
            valid = validator.is_valid(typed[where[0]][1])
        else:
            valid = validator.all_valid([typed[p][1] for p in where])
        if not valid:
            invalid.add(event_type)
    return validators, invalid


@check(
    "schema.event",
    clause=CLAUSE.format(profile="<profile>", name="events/<type>"),
    summary="Every streamed JSON event validates against its type's schema; unknown "
    "vendor-prefixed events are allowed, unknown response.* events are a warning.",
    applies="stream",
)
def event_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    validators, invalid = _event_validators(ex, ctx)
    # Group identical problems across events: (path with indexes, text) -> first + count.
    grouped: dict[tuple[str, str], tuple[Violation, int, set[str]]] = {}
    unknown: dict[str, tuple[int, int]] = {}  # type -> (first index, count)
    if not invalid:  # the common case: only types without a schema to report, each once
        typed = typed_events(ex)
        for event_type, where in positions_by_type(ex).items():
            if validators[event_type] is None and not is_vendor_event(event_type):
                unknown[event_type] = (typed[where[0]][0].index, len(where))
    else:
        for e, data, event_type in typed_events(ex):  # an event without a type: the stream checks'
            validator = validators[event_type]
            if validator is None:
                if not is_vendor_event(event_type):
                    first_index, seen = unknown.get(event_type, (e.index, 0))
                    unknown[event_type] = (first_index, seen + 1)
                continue
            if event_type not in invalid:
                continue  # every event of this type is valid
            for p in validator.errors(data):  # none for a valid event (errors asks is_valid first)
                key = (jsonpointer.dotted(p.path), p.text)
                if key in grouped:
                    first, count, types = grouped[key]
                    grouped[key] = (first, count + 1, types | {event_type})
                else:
                    message = f"{subject(f'{event_type} event', p.path)}: {p.text}"
                    grouped[key] = (
                        Violation(message, at=at(event_ptr(e.index), *p.path),
                                  clause=schema_clause(validator.name)),
                        1,
                        {event_type},
                    )
    for first, count, types in grouped.values():
        if count == 1:
            yield first
        else:
            also = f"; {count} events in all ({', '.join(sorted(types))})"
            yield Violation(first.message + also, at=first.at, clause=first.clause)
    for event_type, (index, count) in unknown.items():
        times = "" if count == 1 else f" ({count} events)"
        yield Violation(
            f"event type {event_type!r} is not in the {ctx.profile.name} contract{times}; "
            "extensions should use a vendor prefix",
            at=event_ptr(index, "type"),
            severity=Severity.WARNING,
        )


# ---------------------------------------------------------------------------------------------
# Bodies of the other endpoints


def _body_check(ex: Exchange, ctx: CheckContext, name: str, label: str) -> Iterator[Violation]:
    if not is_success(ex) or ex.body is None:
        return
    validator = ctx.profile.validator(name)
    if validator is not None:
        yield from object_violations(validator, ex.body, body_ptr(), label)


@check(
    "schema.error_body",
    clause=CLAUSE.format(profile="<profile>", name="error"),
    summary='A non-2xx JSON body is an error object: {"error": {message, type, param, code}}.',
    applies="body",
    statuses="error",
)
def error_body_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    if ex.status is None or is_success(ex) or ex.status < 400 or ex.body is None:
        return
    validator = ctx.profile.validator("error")
    if validator is not None:
        yield from object_violations(validator, ex.body, body_ptr(), "error body")


@check(
    "schema.deleted",
    clause=CLAUSE.format(profile="<profile>", name="deleted"),
    summary='DELETE /responses/{id} returns {id, object: "response.deleted", deleted}.',
    applies="body",
    endpoints=("delete",),
    statuses="success",
)
def deleted_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    yield from _body_check(ex, ctx, "deleted", "deleted object")


@check(
    "schema.input_items_list",
    clause=CLAUSE.format(profile="<profile>", name="input_items_list"),
    summary="GET /responses/{id}/input_items returns a list of items.",
    applies="body",
    endpoints=("input_items",),
    statuses="success",
)
def input_items_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    yield from _body_check(ex, ctx, "input_items_list", "input items list")


@check(
    "schema.input_tokens_result",
    clause=CLAUSE.format(profile="<profile>", name="input_tokens_result"),
    summary='POST /responses/input_tokens returns {object: "response.input_tokens", input_tokens}.',
    applies="body",
    endpoints=("input_tokens",),
    statuses="success",
)
def input_tokens_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    yield from _body_check(ex, ctx, "input_tokens_result", "input_tokens result")


@check(
    "schema.compact_result",
    clause=CLAUSE.format(profile="<profile>", name="compact_result"),
    summary="POST /responses/compact returns a response.compaction object.",
    applies="body",
    endpoints=("compact",),
    statuses="success",
)
def compact_schema(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    yield from _body_check(ex, ctx, "compact_result", "compaction")


# ---------------------------------------------------------------------------------------------
# Spec evolution


def _judged_events(ex: Exchange, top_level_types: Container[str]) -> Iterator[tuple[Any, int]]:
    """The events of a stream that may hold a rule's object, with their indexes, in order.

    Most events of a stream are deltas holding none: they are passed over without a look
    inside (the stream's bulk, so this keeps the check cheap). The stream's one pass
    (``stream_view``) lists the events holding a ``CARRIERS`` key and the positions of each type;
    the events of a type a rule is about (function_call_arguments.done) join them.
    """
    view = stream_view(ex)
    chosen = {index: data for data, index in view.carriers}
    for kind, where in view.positions.items():
        if kind in top_level_types:
            for position in where:
                e, data, _ = view.typed[position]
                chosen.setdefault(e.index, data)
    ordered = sorted(chosen) if len(chosen) > len(view.carriers) else chosen  # carriers are in order
    for index in ordered:
        yield chosen[index], index


def tool_item_rules(profile_dir: str) -> list[evolution.RecentlyRequired]:
    """The tool-item properties the build relaxed to warnings (``evolution.ToolItemRule``), as
    rules: owed by a finished item, reported missing as a warning."""
    return [
        evolution.RecentlyRequired(
            profile_dir,
            relaxed["component"],
            "",
            field,
            where=f"{relaxed['item_type']} output item",
            since=f"spec v{relaxed.get('spec_version', '?')}",
            severity=Severity.WARNING,
            reason=relaxed.get("reason", ""),
            with_type=relaxed["item_type"],
            unless_status=tuple(relaxed.get("unfinished_statuses", ())),
            why=f"the spec (v{relaxed.get('spec_version', '?')}) requires it of a finished "
            f"{relaxed['item_type']}, and OpenAI itself omits such properties on newer tool items",
        )
        for relaxed in relaxations(profile_dir, "tool_item_required")
        for field in relaxed.get("warning_when_missing", ())
    ]


Rules = tuple[evolution.RecentlyRequired, ...]


@dataclass(frozen=True, slots=True)
class IndexedRules:
    """A profile's evolution rules, indexed so an object is held only to the rules that can be about it."""

    by_type: dict[str, Rules]  # the rules about objects of one ``type``
    # The untyped rules for an object found under a key ("input_tokens_details"): those whose
    # ``under_keys`` end in it, and those with none (``anywhere``), in their declared order.
    by_last_key: dict[str, Rules]
    anywhere: Rules

    def untyped_for(self, keys: tuple[str, ...]) -> Rules:
        return self.by_last_key.get(keys[-1], self.anywhere) if keys else ()


@cache
def _rules_by_type(profile_dir: str) -> IndexedRules | None:
    """A profile's evolution rules, indexed by the ``type`` they apply to (and the untyped ones by
    the key they are found under)."""
    rules = [*evolution.recently_required_in(profile_dir), *tool_item_rules(profile_dir)]
    if not rules:
        return None
    by_type: dict[str, Rules] = {}
    for rule in rules:
        if rule.with_type is not None:
            by_type[rule.with_type] = (*by_type.get(rule.with_type, ()), rule)
    untyped = [r for r in rules if r.with_type is None]
    last_keys = {r.under_keys[-1] for r in untyped if r.under_keys}
    by_last_key = {
        key: tuple(r for r in untyped if not r.under_keys or r.under_keys[-1] == key) for key in last_keys
    }
    return IndexedRules(by_type, by_last_key, tuple(r for r in untyped if not r.under_keys))


class _MissingFields:
    """Which rules' fields the objects of an exchange lack: per rule, the pointer of the first object
    lacking it and how many do.

    The objects looked at, per event or body: the event itself, the Response (or compaction) it is
    or carries, its usage details, output items and content parts. Targeted rather than a walk of
    everything: token data is large, and client-defined content (tool parameters, JSON schemas) may
    hold a "type" or "usage" meaning something else. An object is held only to the rules that can be
    about it (its ``type``'s, and the untyped ones for the key it is under); most output items and
    content parts have none and are passed over before their pointer is made.
    """

    __slots__ = ("base", "by_type", "rules", "seen")

    def __init__(self, rules: IndexedRules) -> None:
        self.rules = rules
        self.by_type = rules.by_type
        # The event being looked through (its index), or None: the body. Its pointer is made only for
        # a missing field (most events and bodies have none, or the same as an earlier one).
        self.base: int | None = None
        self.seen: dict[evolution.RecentlyRequired, list[Any]] = {}  # rule -> [first pointer, count]

    def judge(self, rel: str, keys: tuple[str, ...], obj: dict[str, Any], untyped: Rules) -> None:
        kind = obj.get("type")  # a garbled object's type may be a list: not hashable
        typed = self.by_type.get(kind, ()) if isinstance(kind, str) else ()
        for rule in (*typed, *untyped) if typed and untyped else typed or untyped:
            if rule.field not in obj and rule.matches(keys, obj):
                if rule in self.seen:
                    self.seen[rule][1] += 1
                else:
                    base = _BODY if self.base is None else event_ptr(self.base)
                    self.seen[rule] = [base + rel, 1]

    def may_apply(self, obj: dict[str, Any], untyped: Rules) -> bool:
        """Whether some rule can be about ``obj``: asked before its pointer is made."""
        if untyped:
            return True
        kind = obj.get("type")
        return isinstance(kind, str) and kind in self.by_type

    def look_through(self, node: Any, base: int | None) -> None:
        if not isinstance(node, dict):
            return
        self.base = base
        if self.may_apply(node, ()):
            self.judge("", (), node, ())
        response = node.get("response")
        if isinstance(response, dict):
            self.response_parts(response, "/response", ("response",))
        else:
            self.response_parts(node, "", ())
        item = node.get("item")
        if isinstance(item, dict):
            self.item_parts(item, "/item", ("item",))
        part = node.get("part")
        if isinstance(part, dict):
            self.judge("/part", ("part",), part, self.rules.untyped_for(("part",)))

    def response_parts(self, response: dict[str, Any], ptr: str, keys: tuple[str, ...]) -> None:
        usage = response.get("usage")
        if isinstance(usage, dict):
            for name in ("input_tokens_details", "output_tokens_details"):
                details = usage.get(name)
                if isinstance(details, dict):
                    under = (*keys, "usage", name)
                    untyped = self.rules.untyped_for(under)
                    if self.may_apply(details, untyped):
                        self.judge(f"{ptr}/usage/{name}", under, details, untyped)
        output = response.get("output")
        if isinstance(output, list):
            item_keys = (*keys, "output")
            for index, item in enumerate(output):
                if isinstance(item, dict):
                    self.item_parts(item, f"{ptr}/output/{index}", item_keys)

    def item_parts(self, item: dict[str, Any], ptr: str, keys: tuple[str, ...]) -> None:
        untyped = self.rules.untyped_for(keys)
        if self.may_apply(item, untyped):
            self.judge(ptr, keys, item, untyped)
        content = item.get("content")
        if isinstance(content, list):
            part_keys = (*keys, "content")
            untyped = self.rules.untyped_for(part_keys)
            for index, part in enumerate(content):
                if isinstance(part, dict) and self.may_apply(part, untyped):
                    self.judge(f"{ptr}/content/{index}", part_keys, part, untyped)


_BODY = body_ptr()


@check(
    "schema.recently_required",
    severity=Severity.WARNING,
    clause="respcheck/schemas/evolution.py (fields the spec requires since recently)",
    summary="Fields the spec made required recently (e.g. usage.input_tokens_details."
    "cache_write_tokens since 2026-07), and the spec-required properties of finished tool items "
    "beyond their identity, are present; each severity is decided in schemas/evolution.py.",
)
def recently_required(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    rules = _rules_by_type(ctx.profile.schema_dir)
    if rules is None:
        return
    missing = _MissingFields(rules)
    if ex.events is not None:
        for data, index in _judged_events(ex, rules.by_type):
            missing.look_through(data, index)
    elif is_success(ex) and ex.body is not None:
        missing.look_through(ex.body, None)
    for rule, (first, count) in missing.seen.items():
        yield _missing(rule, first, count, ctx.profile.name)


@lru_cache(maxsize=1024)
def _missing(rule: evolution.RecentlyRequired, first: str, count: int, profile_name: str) -> Violation:
    """What schema.recently_required says of a rule's field missing ``count`` times, first at ``first``
    (nearly every exchange has one such finding, mostly the same: made once)."""
    times = "" if count == 1 else f" ({count} places)"
    return Violation(
        f"{rule.where}: property {rule.field!r} is missing{times}; {rule.owed} ({profile_name} spec)",
        at=first,
        severity=rule.severity,
    )


# ---------------------------------------------------------------------------------------------
# Open enums: values the server invents


# Where the objects a relaxed component describes are found in a Response (by component name).
OPEN_ENUM_PLACES = {"ResponseError": ("error",)}


@check(
    "schema.open_enum",
    severity=Severity.WARNING,
    clause="respcheck/schemas/evolution.py OPEN_ENUMS (server-chosen values such as error codes)",
    summary="A server-chosen value (response.error.code) outside the spec's list is a warning, "
    "never an error: such lists grow faster than the spec.",
    endpoints=RESPONSE_ENDPOINTS,
)
def open_enum(ex: Exchange, ctx: CheckContext) -> Iterator[Violation]:
    opened = relaxations(ctx.profile.schema_dir, "open_enum")
    if not opened:
        return
    for response, ptr in response_objects(ex):
        for relaxed in opened:
            keys = OPEN_ENUM_PLACES.get(relaxed["component"])
            if not keys:
                continue
            holder = response.get(keys[0])
            field = relaxed["pointer"].rsplit("/", 1)[-1]
            value = holder.get(field) if isinstance(holder, dict) else None
            if isinstance(value, str) and value not in relaxed.get("values", ()):
                yield Violation(
                    f"response.{keys[0]}.{field} is {value!r}, which is not in the spec's list as of "
                    f"v{relaxed.get('spec_version', '?')} ({relaxed['component']}); servers add codes "
                    "faster than the spec lists them, so clients must treat unknown ones as generic",
                    at=at(ptr, *keys, field),
                )
