"""The schema-to-strategy compiler, the generated Create Response requests, and the curl printer."""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from respcheck.generate.ahead import draw_examples, send_ahead
from respcheck.generate.drawer import HELPER_FROM, Drawer, DrawFailed, built
from respcheck.generate.invalid_requests import API_REQUIRED, INVALID_KINDS, invalid_create_requests
from respcheck.generate.requests import (
    create_request_schema,
    top_level_fields,
    valid_create_requests,
)
from respcheck.generate.strategies import (
    OMIT,
    Always,
    Limits,
    SchemaCompiler,
    UnsupportedSchema,
    from_schema,
)
from respcheck.jsonpointer import dotted
from respcheck.session.repro import to_curl

GENERATE = settings(
    database=None,
    deadline=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MODELS = ["gpt-test-mini", "gpt-test"]


def validator(schema: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def request_schema() -> dict:
    return create_request_schema()


@pytest.fixture(scope="module")
def request_validator(request_schema: dict) -> jsonschema.Draft202012Validator:
    return validator(request_schema)


# ---------------------------------------------------------------------------------------------
# the compiler, keyword by keyword

KITCHEN_SINK = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "nullable": {"type": ["string", "null"], "maxLength": 3},
        "const": {"const": "fixed"},
        "enum": {"enum": ["a", "b", 3], "type": "string"},
        "int": {"type": "integer", "minimum": 5, "exclusiveMaximum": 9},
        "step": {"type": "integer", "multipleOf": 7, "minimum": 1, "maximum": 50},
        "num": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "fraction": {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 2},
        "pattern": {"type": "string", "pattern": "^id_[0-9a-f]{4}$"},
        "short": {"type": "string", "minLength": 2, "maxLength": 4},
        "long": {"type": "string", "minLength": 30},
        "uri": {"type": "string", "format": "uri"},
        "list": {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 2},
        "tuple": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
        "unique": {"type": "array", "items": {"enum": [1, 2, 3]}, "uniqueItems": True, "minItems": 2},
        "unique_numbers": {"type": "array", "items": {"type": "number"}, "uniqueItems": True, "minItems": 2},
        "long_tuple": {
            "type": "array",
            "prefixItems": [{"const": 0}],
            "items": {"type": "null"},
            "minItems": 3,
        },
        "digits": {"type": "string", "pattern": "^\\d{2}\\w$"},
        "named": {
            "type": "object",
            "properties": {"ok": {"type": "null"}, "BAD": {"type": "null"}},
            "propertyNames": {"pattern": "^[a-z]+$"},
            "minProperties": 1,
        },
        "map": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "propertyNames": {"maxLength": 4},
            "maxProperties": 2,
        },
        "closed": {
            "type": "object",
            "properties": {"x": {"type": "null"}},
            "required": ["x"],
            "additionalProperties": False,
        },
        "any": {},
        "not": {"type": "integer", "minimum": 0, "maximum": 5, "not": {"const": 3}},
        "ref": {"$ref": "#/$defs/Leaf"},
        "ref_with_sibling": {"$ref": "#/$defs/Leaf", "required": ["leaf"]},
        "union": {"anyOf": [{"type": "string", "maxLength": 2}, {"$ref": "#/$defs/Leaf"}]},
        "exclusive": {
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 10},
                {"type": "number", "minimum": 5, "maximum": 15},
            ]
        },
        "merged": {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {
                    "properties": {"a": {"minimum": 10, "maximum": 12}, "b": {"type": "string"}},
                    "required": ["b"],
                },
            ]
        },
        "merged_union": {
            "allOf": [{"anyOf": [{"type": "string"}, {"type": "null"}]}, {"type": "string", "minLength": 1}]
        },
    },
    "required": [
        "const",
        "int",
        "merged",
        "merged_union",
        "exclusive",
        "not",
        "ref_with_sibling",
        "tuple",
        "long_tuple",
        "digits",
        "named",
    ],
    "additionalProperties": False,
    "$defs": {"Leaf": {"type": "object", "properties": {"leaf": {"type": "boolean"}}}},
}


@GENERATE
@given(from_schema(KITCHEN_SINK))
def test_every_supported_keyword_yields_only_valid_instances(instance):
    validator(KITCHEN_SINK).validate(instance)


@GENERATE
@given(from_schema(KITCHEN_SINK))
def test_merged_all_of_honours_every_part(instance):
    assert instance["named"] == {"ok": None}  # "BAD" breaks propertyNames, so it never appears
    assert instance["digits"].isascii()
    assert 10 <= instance["merged"]["a"] <= 12 and isinstance(instance["merged"]["b"], str)
    assert isinstance(instance["merged_union"], str) and instance["merged_union"]  # the null branch is pruned


@GENERATE
@given(from_schema({"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}))
def test_one_of_keeps_only_values_matching_exactly_one_branch(value):
    # Non-negative integers match both branches, so they must never appear.
    assert not (isinstance(value, int) or float(value).is_integer()) or value < 0


NESTED_IN_ALL_OF = {
    "type": "object",
    "properties": {
        "one": {
            "allOf": [{"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}, {"maximum": 10}]
        },
        "not": {"allOf": [{"type": "integer", "minimum": 0, "maximum": 5}, {"not": {"const": 3}}]},
        "tagged": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}},
                    "required": ["kind"],
                },
                {
                    "type": "object",
                    "properties": {"kind": {"const": "b"}, "x": {"type": "string"}},
                    "required": ["kind"],
                },
            ]
        },
    },
    "required": ["one", "not", "tagged"],
}


@GENERATE
@given(from_schema(NESTED_IN_ALL_OF))
def test_one_of_and_not_inside_all_of_are_checked_against_the_original(instance):
    validator(NESTED_IN_ALL_OF).validate(instance)
    assert instance["not"] != 3


def test_every_optional_property_and_union_branch_shows_up():
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
    }
    seen_keys: Counter = Counter()
    seen_types: set = set()

    @settings(GENERATE, max_examples=200)
    @given(from_schema(schema))
    def collect(instance):
        seen_keys.update(list(instance))
        if "b" in instance:
            seen_types.add(type(instance["b"]).__name__)

    collect()
    assert seen_keys["a"] and seen_keys["b"]
    assert seen_types == {"str", "NoneType"}


TREE = {
    "$defs": {
        "Node": {
            "type": "object",
            "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            },
            "required": ["value"],
        }
    },
    "$ref": "#/$defs/Node",
}


def depth(node: dict) -> int:
    return 1 + max((depth(c) for c in node.get("children", [])), default=0)


@GENERATE
@given(from_schema(TREE, limits=Limits(max_depth=2)))
def test_recursion_is_bounded_and_valid(tree):
    validator(TREE).validate(tree)
    assert depth(tree) <= 2  # each entry into the recursive Node spends one level


@settings(GENERATE, max_examples=50)
@given(from_schema({"type": "object", "properties": {"self": {"$ref": "#"}}}, limits=Limits(max_depth=3)))
def test_a_reference_to_the_root_is_bounded_too(instance):
    assert depth_of_self(instance) <= 4  # the root itself, then three entries through "$ref": "#"


def depth_of_self(node: dict) -> int:
    return 1 + (depth_of_self(node["self"]) if "self" in node else 0)


def test_recursion_reaches_the_bound():
    deepest = []

    @settings(GENERATE, max_examples=300)
    @given(from_schema(TREE, limits=Limits(max_depth=2, optional_halvings=0)))
    def collect(tree):
        deepest.append(depth(tree))

    collect()
    assert max(deepest) == 2


def test_each_subschema_is_compiled_once():
    compiler = SchemaCompiler(TREE)
    first = compiler.strategy("#/$defs/Node")
    assert compiler.strategy("#/$defs/Node") is first
    compiled = len(compiler._memo)
    compiler.strategy("#/$defs/Node")
    assert len(compiler._memo) == compiled


@pytest.mark.parametrize(
    ("schema", "keyword", "pointer"),
    [
        ({"properties": {"a": {"if": {"type": "string"}, "then": {"minLength": 1}}}}, "if", "#/properties/a"),
        ({"$defs": {"X": {"contains": {"type": "integer"}}}, "$ref": "#/$defs/X"}, "contains", "#/$defs/X"),
        ({"patternProperties": {"^x": {}}}, "patternProperties", "#"),
        ({"dependentRequired": {"a": ["b"]}}, "dependentRequired", "#"),
        ({"$ref": "https://example.com/other.json"}, "$ref", "https://example.com/other.json"),
    ],
)
def test_unsupported_keywords_are_named_with_their_pointer(schema, keyword, pointer):
    with pytest.raises(UnsupportedSchema) as caught:
        from_schema(schema)
    assert caught.value.keyword == keyword
    assert caught.value.pointer == pointer
    assert repr(keyword) in str(caught.value) and pointer in str(caught.value)


def test_contradictory_all_of_values_are_refused_not_guessed():
    schema = {"allOf": [{"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "b$"}]}
    with pytest.raises(UnsupportedSchema, match="pattern"):
        from_schema(schema)


def test_unsatisfiable_schema_compiles_to_nothing():
    assert from_schema({"allOf": [{"type": "string"}, {"type": "integer"}]}).is_empty
    assert from_schema({"type": "object", "required": ["a"], "additionalProperties": False}).is_empty


OVERRIDDEN = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "nested": {"type": "object", "properties": {"deep": {"type": "integer"}, "gone": {"type": "string"}}},
        "shared": {"$ref": "#/$defs/Shared"},
        "secret": {"type": "string"},
    },
    "$defs": {"Shared": {"type": "integer"}},
}


@GENERATE
@given(
    from_schema(
        OVERRIDDEN,
        overrides={
            "/model": Always(st.just("m1")),
            "/nested": Always({"$ref": "#/properties/nested"}),
            "/nested/deep": Always({"enum": [7]}),
            "/nested/gone": OMIT,
            "#/$defs/Shared": st.just(42),
            "/secret": OMIT,
        },
    )
)
def test_overrides_by_instance_path_and_schema_pointer(instance):
    assert instance["model"] == "m1"
    assert instance["nested"] == {"deep": 7}
    assert instance.get("shared", 42) == 42
    assert "secret" not in instance


def test_override_keys_must_be_pointers_or_paths():
    with pytest.raises(ValueError, match="override keys"):
        SchemaCompiler({}, overrides={"model": st.just(1)})


@settings(GENERATE, max_examples=200)
@given(st.data())
def test_the_whole_request_schema_compiles_without_annotations(request_schema, request_validator, data):
    # No overrides at all: the compiler alone must stay inside the schema on the real thing.
    instance = data.draw(_raw_request_strategy(request_schema))
    request_validator.validate(instance)


_RAW: dict = {}


def _raw_request_strategy(schema: dict):
    if "strategy" not in _RAW:
        _RAW["strategy"] = from_schema(schema)
    return _RAW["strategy"]


# ---------------------------------------------------------------------------------------------
# valid create requests


@seed(20261122)
@settings(GENERATE, max_examples=1000)
@given(st.data())
def test_one_thousand_generated_requests_validate_against_the_full_schema(request_validator, data):
    body = data.draw(_valid_strategy())
    errors = sorted(request_validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{errors[0].message} at {list(errors[0].absolute_path)}: {json.dumps(body)}"


_VALID: dict = {}


def _valid_strategy():
    if "strategy" not in _VALID:
        _VALID["strategy"] = valid_create_requests(MODELS)
    return _VALID["strategy"]


@settings(GENERATE, max_examples=200)
@given(valid_create_requests(MODELS, stream=True, store=False))
def test_requests_are_cheap_and_use_the_targets_models(body):
    assert body["model"] in MODELS
    assert 16 <= body["max_output_tokens"] <= 64
    assert body["stream"] is True and body["store"] is False
    assert body.get("background") in (None, False)
    for costly in (
        "previous_response_id",
        "conversation",
        "prompt",
        "include",
        "moderation",
        "context_management",
    ):
        assert costly not in body
    assert body["input"]  # always something to answer
    for tool in body.get("tools", []):
        assert tool["type"] == "function" and tool["parameters"]["type"] == "object"
    names = [tool["name"] for tool in body.get("tools", [])]
    assert len(names) == len(set(names))


@settings(GENERATE, max_examples=100)
@given(valid_create_requests(MODELS, tools=False, reasoning=True))
def test_reasoning_requests_leave_out_sampling_parameters(body):
    assert "tools" not in body and "stream" not in body and "store" not in body
    assert "temperature" not in body and "top_p" not in body
    if body.get("reasoning"):
        assert set(body["reasoning"]) <= {"effort", "summary"}


@settings(GENERATE, max_examples=50)
@given(
    valid_create_requests(
        MODELS,
        allow={"previous_response_id"},
        overrides={"/previous_response_id": Always(st.just("resp_123"))},
    )
)
def test_callers_can_opt_into_excluded_fields(body):
    assert body["previous_response_id"] == "resp_123"


def test_fields_outside_the_safe_list_are_left_out(request_schema):
    fields = top_level_fields(request_schema)
    assert {"model", "input", "tools", "previous_response_id", "conversation"} <= set(fields)


def test_requests_need_a_model():
    with pytest.raises(ValueError, match="model"):
        valid_create_requests([])


# ---------------------------------------------------------------------------------------------
# invalid create requests

_INVALID: dict = {}


def _invalid_strategy():
    if "strategy" not in _INVALID:
        _INVALID["strategy"] = invalid_create_requests(MODELS)
    return _INVALID["strategy"]


@seed(4)
@settings(GENERATE, max_examples=300)
@given(st.data())
def test_every_invalid_request_is_invalid_for_the_named_reason(request_validator, data):
    body, param, kind = data.draw(_invalid_strategy())
    assert kind in INVALID_KINDS
    if kind == "missing_required" and param in API_REQUIRED:
        # Required by the API, not by the schema (a stored prompt may name the model).
        assert param not in body and "prompt" not in body
    else:
        assert not request_validator.is_valid(body), (kind, param, body)


def test_invalid_requests_cover_every_kind_and_the_classic_params():
    seen: Counter = Counter()

    @seed(5)
    @settings(GENERATE, max_examples=400)
    @given(_invalid_strategy())
    def collect(example):
        seen[(example.kind, example.param)] += 1

    collect()
    kinds = {kind for kind, _ in seen}
    assert kinds == set(INVALID_KINDS)
    params = {param for _, param in seen}
    assert {"model", "temperature", "top_p", "max_output_tokens"} <= params
    assert {"truncation", "tool_choice", "reasoning.effort", "text.format.type"} & params


def test_bounds_and_enums_are_read_from_the_schema(request_schema):
    from respcheck.generate.invalid_requests import _schema_mutations

    catalog = _schema_mutations(json.dumps(request_schema, sort_keys=True))
    out_of_range = {(dotted(m.path), m.value) for m in catalog["out_of_range"]}
    assert {("temperature", 2.5), ("top_p", 1.5), ("max_output_tokens", 15)} <= out_of_range
    enums = {dotted(m.path) for m in catalog["unknown_enum"]}
    assert {"truncation", "tool_choice", "text.format.type", "reasoning.effort"} <= enums
    assert "model" not in enums  # any string is a model name


def test_a_body_whose_mutation_is_ambiguous_is_not_labelled(request_schema):
    # text.format.type set on a body without `text` creates the parent; the control value proves
    # the enum itself (not a missing sibling) is what makes the body invalid.
    from respcheck.generate.invalid_requests import _Mutation, _still_invalid, _validator

    check = _validator(json.dumps(request_schema, sort_keys=True))
    body = {"model": "m", "input": "hi"}
    enum = _Mutation("unknown_enum", ("text", "format", "type"), "bogus", control="text", has_control=True)
    assert _still_invalid(enum, body, check)
    wrong_parent = _Mutation("unknown_enum", ("moderation", "policy"), "bogus", control="x", has_control=True)
    assert not _still_invalid(wrong_parent, body, check)  # moderation also needs `model`


def test_missing_required_only_removes_fields_a_server_must_blame(request_schema):
    from respcheck.generate.invalid_requests import _candidates, _Mutation, _still_invalid, _validator

    check = _validator(json.dumps(request_schema, sort_keys=True))
    tool = {"type": "function", "name": "get_time", "strict": False, "parameters": {"type": "object"}}
    body = {"model": "m", "input": [{"role": "user", "content": "hi"}], "tools": [tool]}
    offered = {m.path for m in _candidates("missing_required", body, {})}
    assert ("tools", 0, "name") in offered
    assert ("input", 0, "role") not in offered  # no `type`: a server may blame input[0].type instead
    assert ("tools", 0, "type") not in offered  # removing the discriminator leaves no branch to blame
    # `parameters` is required but nullable: in practice it may be left out.
    assert not _still_invalid(
        _Mutation("missing_required", ("tools", 0, "parameters"), delete=True), body, check
    )
    assert _still_invalid(_Mutation("missing_required", ("tools", 0, "name"), delete=True), body, check)


def test_param_names_follow_openai_spelling():
    assert dotted(("temperature",)) == "temperature"
    assert dotted(("text", "format", "type")) == "text.format.type"
    assert dotted(("tools", 0, "name")) == "tools[0].name"
    assert dotted(("input", 1, "content", 0, "text")) == "input[1].content[0].text"


# ---------------------------------------------------------------------------------------------
# curl


def test_curl_redacts_the_key_and_round_trips_the_body():
    body = {"model": "m", "input": 'it\'s "quoted" $HOME `cmd`', "max_output_tokens": 16}
    command = to_curl(
        "http://127.0.0.1:8080/v1/",
        "/responses",
        body,
        {"Authorization": "Bearer sk-live-secret", "OpenAI-Beta": "x"},
    )
    assert "sk-live-secret" not in command
    words = shlex.split(command)
    assert words[:4] == ["curl", "-sS", "-X", "POST"]
    assert "http://127.0.0.1:8080/v1/responses" in words
    assert "Authorization: Bearer $OPENAI_API_KEY" in words  # left for the user's shell to expand
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in command
    assert "OpenAI-Beta: x" in words and "Content-Type: application/json" in words
    assert json.loads(words[words.index("-d") + 1]) == body


def test_curl_for_a_get_without_body_and_a_custom_key_header():
    command = to_curl(
        "https://relay.example", "v1/responses/resp_1", None, {"api-key": "abc123"}, key_env="RELAY_KEY"
    )
    assert "abc123" not in command
    words = shlex.split(command)
    assert "-X" not in words and "-d" not in words
    assert "api-key: $RELAY_KEY" in words


def test_curl_without_auth_headers_still_shows_where_the_key_goes():
    words = shlex.split(to_curl("http://h", "/v1/responses", {"a": 1}))
    assert "Authorization: Bearer $OPENAI_API_KEY" in words
    keyless = shlex.split(to_curl("http://h", "/v1/responses", b'{"a": 1}', with_key=False))
    assert not any(w.startswith("Authorization") for w in keyless)
    assert keyless[-1] == '{"a": 1}'  # raw bytes are sent as they were


# ---------------------------------------------------------------------------------------------
# every committed schema


def _committed_schemas() -> list:
    from respcheck.schemas.registry import schemas_root

    root = schemas_root()
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json") if p.name != "provenance.json")


@pytest.mark.parametrize("name", _committed_schemas())
def test_every_committed_schema_compiles_to_valid_instances(name):
    # A schema change that brings in an unsupported keyword fails here, not in a live run.
    from respcheck.schemas.registry import schemas_root

    schema = json.loads((schemas_root() / name).read_text(encoding="utf-8"))
    check = validator(schema)

    @settings(GENERATE, max_examples=10)
    @given(from_schema(schema))
    def generated(instance):
        check.validate(instance)

    generated()


# -- drawn ahead, sent one ahead (respcheck.generate.ahead) ----------------------------------------


def test_examples_drawn_ahead_are_as_many_as_asked_and_valid(request_validator):
    bodies = draw_examples(valid_create_requests(MODELS, stream=False, store=False), 45)
    assert len(bodies) == 45
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) > 10  # drawn, not one body repeated
    for body in bodies:
        assert request_validator.is_valid(body)


@contextmanager
def active_profile(name: str, **chosen: Any) -> Iterator[None]:
    """hypothesis' active profile is ``chosen`` (as a run's --hypothesis-profile makes it) while inside."""
    previous = settings.default
    settings.register_profile(name, settings(database=None, **chosen))
    settings.load_profile(name)
    try:
        yield
    finally:
        settings.register_profile("respcheck-test-previous", previous)
        settings.load_profile("respcheck-test-previous")


@pytest.mark.parametrize("structured", [True, False])
def test_structured_output_is_asked_for_only_when_the_target_claims_it(structured: bool):
    strategy = valid_create_requests(MODELS, stream=False, store=False, structured=structured)
    bodies = draw_examples(strategy, 200)
    formats = {b["text"]["format"]["type"] for b in bodies if "format" in b.get("text", {})}
    assert formats == ({"text", "json_schema"} if structured else {"text"})


def test_examples_drawn_ahead_follow_the_active_profile():
    with active_profile("respcheck-test-seven", max_examples=7, derandomize=True):
        first = draw_examples(st.integers())
        again = draw_examples(st.integers())
    assert len(first) == 7
    assert first == again  # derandomize: the same examples every run


# -- drawn by a helper process (respcheck.generate.drawer) ------------------------------------------


@pytest.fixture
def a_drawer() -> Iterator[Drawer]:
    drawer = Drawer()
    try:
        yield drawer
    finally:
        drawer.close()


@pytest.fixture
def fifty_five_derandomized() -> Iterator[None]:
    with active_profile("respcheck-test-55", max_examples=55, derandomize=True):
        yield


def test_the_helper_draws_as_many_valid_examples_as_the_profile_says_and_the_same_each_time(
        a_drawer, fifty_five_derandomized, request_validator):
    recipe = partial(valid_create_requests, MODELS, stream=False, store=False)
    bodies = list(a_drawer.examples(recipe))
    assert len(bodies) == 55
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) > 10  # drawn, not one body repeated
    assert all(request_validator.is_valid(body) for body in bodies)
    assert list(a_drawer.examples(recipe)) == bodies  # derandomize: reproducible
    assert a_drawer._process is not None and a_drawer._process.poll() is None  # drawn by the helper


def _thousand(value: int) -> partial:
    """A recipe whose examples say which recipe they came from: value * 1000 + 0..999."""
    return partial(st.integers, min_value=value * 1000, max_value=value * 1000 + 999)


def test_a_profile_of_few_examples_draws_in_process(a_drawer):
    with active_profile("respcheck-test-few", max_examples=HELPER_FROM - 1):
        a_drawer.warm()
        examples = list(a_drawer.examples(_thousand(5)))
    assert len(examples) == HELPER_FROM - 1
    assert a_drawer._process is None  # no helper started: it would cost more than it saves


def test_equal_recipes_are_built_once_per_process():
    assert built(_thousand(8)) is built(_thousand(8))  # two partials, equal by what they build
    assert built(_thousand(8)) is not built(_thousand(9))
    calls: list[int] = []

    def local_recipe() -> st.SearchStrategy[int]:  # a local function cannot be pickled
        calls.append(1)
        return st.integers()

    built(local_recipe)
    built(local_recipe)
    assert len(calls) == 2  # built each time


def test_a_recipe_that_cannot_be_pickled_is_drawn_in_process(a_drawer, fifty_five_derandomized):
    examples = list(a_drawer.examples(lambda: st.integers(min_value=6000, max_value=6999)))
    assert len(examples) == 55 and all(example // 1000 == 6 for example in examples)
    assert not a_drawer._failed  # the helper still serves the next test
    assert next(a_drawer.examples(_thousand(7))) // 1000 == 7


def test_a_strategy_failing_in_the_helper_fails_the_test_that_asked(a_drawer, fifty_five_derandomized):
    with pytest.raises(DrawFailed, match="max_value=1 < min_value=5"):
        list(a_drawer.examples(partial(st.integers, min_value=5, max_value=1)))
    assert next(a_drawer.examples(_thousand(7))) // 1000 == 7  # and the helper still serves


def test_tests_asking_at_once_each_get_their_own_examples(a_drawer, fifty_five_derandomized):
    got: dict[int, list[int]] = {}

    def ask(value: int) -> None:
        got[value] = list(a_drawer.examples(_thousand(value)))

    threads = [threading.Thread(target=ask, args=(value,)) for value in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert {value: len(examples) for value, examples in got.items()} == {value: 55 for value in range(4)}
    assert all(example // 1000 == value for value, examples in got.items() for example in examples)


def test_a_test_stopping_early_leaves_the_helper_serving(a_drawer, fifty_five_derandomized):
    first = a_drawer.examples(_thousand(1))
    assert next(first) // 1000 == 1
    first.close()
    assert [example // 1000 for example in a_drawer.examples(_thousand(2))] == [2] * 55


def test_when_the_helper_dies_the_examples_are_drawn_in_process(a_drawer, fifty_five_derandomized,
                                                                monkeypatch):
    monkeypatch.setattr("respcheck.generate.drawer.POLL_S", 0.05)
    a_drawer.warm()
    assert a_drawer._process is not None
    a_drawer._process.kill()
    a_drawer._process.wait(timeout=10)
    assert [example // 1000 for example in a_drawer.examples(_thousand(3))] == [3] * 55
    assert a_drawer._failed  # and the next test draws in process at once
    assert [example // 1000 for example in a_drawer.examples(_thousand(4))] == [4] * 55


def test_closing_the_drawer_ends_the_helper(a_drawer, fifty_five_derandomized):
    a_drawer.warm()
    process = a_drawer._process
    assert process is not None and process.poll() is None
    a_drawer.close()
    assert process.poll() is not None


@pytest.mark.parametrize("ahead", [1, 4])
def test_send_ahead_keeps_order_with_at_most_ahead_requests_in_flight(ahead: int):
    in_flight, most, sent = 0, 0, []
    lock = threading.Lock()

    def send(item: int) -> int:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.02 if item % 2 and ahead > 1 else 0.002)  # with several in flight, out of order
        sent.append(item)
        with lock:
            in_flight -= 1
        return item * 10

    answers = list(send_ahead(send, range(20), ahead=ahead))
    assert answers == [(i, i * 10) for i in range(20)]
    assert most == ahead
    if ahead == 1:
        assert sent == list(range(20))  # the same order as a plain loop


def test_send_ahead_stopped_early_sends_at_most_one_more():
    sent: list[int] = []

    def send(item: int) -> int:
        sent.append(item)
        return item

    for item, _ in send_ahead(send, range(10)):
        if item == 3:
            break
    assert sent == [0, 1, 2, 3, 4]
