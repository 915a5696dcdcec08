"""targets.yaml: the shipped file, its schema, and one-line errors for every kind of mistake."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from respcheck.budget import Budget
from respcheck.config import (
    CAPABILITIES,
    REFERENCE_API_KEY,
    SCHEMA_PATH,
    ConfigError,
    Target,
    Timeouts,
    adhoc_target,
    load_targets,
    parse_targets,
    reference_target,
    skip_reason,
    targets_schema,
)
from respcheck.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "targets.yaml"
DOCUMENTED_RELAYS = ("mixroute", "newapi", "12ai")


# -- the shipped file and schema ------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12_and_names_every_capability_and_profile() -> None:
    schema = targets_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    target = schema["$defs"]["target"]["properties"]
    assert target["capabilities"]["anyOf"][1]["items"]["enum"] == list(CAPABILITIES)
    assert target["profile"]["anyOf"][0]["enum"] == list(PROFILES)
    assert target["profile"]["anyOf"][1]["items"]["enum"] == list(PROFILES)  # the list form too


def test_schema_ships_inside_the_package_and_the_yaml_points_editors_at_it() -> None:
    assert SCHEMA_PATH.parent.name == "respcheck" and SCHEMA_PATH.is_file()
    first_line = SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=respcheck/targets.schema.json"
    assert (SHIPPED.parent / "respcheck/targets.schema.json").resolve() == SCHEMA_PATH.resolve()


def test_shipped_file_has_reference_and_one_entry_per_documented_relay() -> None:
    config = load_targets(SHIPPED)
    # the real third-party servers of targets/ (tagged real) follow the documented relays
    documented = [n for n in config.names() if "real" not in config.get(n).tags]
    assert documented == ["reference", *DOCUMENTED_RELAYS]
    reference = config.get("reference")
    assert reference.embedded and reference.capabilities == frozenset(CAPABILITIES)
    for name in DOCUMENTED_RELAYS:
        relay = config.get(name)
        assert relay.profiles == (f"doc:{name}", "openai")
        assert relay.api_key_env and relay.api_key_env.endswith("_API_KEY")
        assert relay.budget.requests and relay.budget.output_tokens and relay.budget.requests_per_second
    assert config.get("mixroute").base_url == "https://console.mixroute.io/v1"
    assert config.get("12ai").base_url == "https://cdn.12ai.org/v1"
    # only 12ai documents the lifecycle endpoints and background mode
    assert {"retrieve", "cancel", "delete", "background"} <= config.get("12ai").capabilities
    assert not {"retrieve", "cancel", "delete", "background"} & config.get("mixroute").capabilities
    assert "web_search" in config.get("mixroute").capabilities


def test_relays_without_their_key_are_skipped_with_a_note() -> None:
    config = load_targets(SHIPPED)
    assert skip_reason(config.get("reference"), {}) is None
    note = skip_reason(config.get("mixroute"), {})
    assert note == (
        "mixroute skipped: environment variable MIXROUTE_API_KEY is not set "
        "(export MIXROUTE_API_KEY=<your key> to test it)"
    )
    assert skip_reason(config.get("mixroute"), {"MIXROUTE_API_KEY": "k"}) is None
    # the self-hosted relay also needs its URL
    newapi = config.get("newapi")
    assert "NEWAPI_BASE_URL" in skip_reason(newapi, {"NEWAPI_API_KEY": "k"})
    env = {"NEWAPI_API_KEY": "k", "NEWAPI_BASE_URL": "https://relay.local/v1/"}
    assert skip_reason(newapi, env) is None
    assert newapi.resolved_base_url(env) == "https://relay.local/v1"


def test_choosing_a_target_whose_key_is_unset_is_one_clear_error() -> None:
    config = load_targets(SHIPPED)  # loading never needs the variables
    with pytest.raises(ConfigError) as caught:
        config.select("mixroute", {})
    assert str(caught.value) == (
        f"{SHIPPED}: targets.mixroute.api_key_env: environment variable MIXROUTE_API_KEY is not set — "
        "export MIXROUTE_API_KEY=<your key> to test mixroute"
    )
    assert config.select("mixroute", {"MIXROUTE_API_KEY": "k"}).name == "mixroute"
    assert config.select("reference", {}).embedded


def test_unknown_target_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError) as caught:
        load_targets(SHIPPED).get("mixrout")
    assert str(caught.value) == (
        f"{SHIPPED}: unknown target 'mixrout' (did you mean 'mixroute'?) — "
        "choose one of: reference, mixroute, newapi, 12ai, agentserver, aimock, "
        "litellm-passthrough, litellm-bridge, llamastack, transformers"
    )


def test_values_are_typed() -> None:
    config = parse_targets(
        "targets:\n  r:\n    base_url: https://r.example/v1/\n    api_key_env: R_KEY\n"
        "    models: {text: t1}\n    profile: openresponses\n    capabilities: [stream]\n"
        "    headers: {X-Org: acme}\n"
        "    budget: {requests: 5, output_tokens: 100, requests_per_second: 0.5}\n"
        "    timeouts: {connect: 1, first_byte: 2, between_events: 3, total: 4}\n    max_body_bytes: 2048\n"
    )
    r = config.get("r")
    assert r.base_url == "https://r.example/v1"
    assert r.models.text == "t1" and r.models.for_("vision") is None  # unnamed: its scenarios unsupported
    assert r.profiles == ("openresponses",) and r.profile == "openresponses"
    assert r.capabilities == frozenset({"stream"})
    assert r.unsupported_reason("background") == "unsupported (not claimed by target r)"
    assert r.unsupported_reason("stream") is None
    assert r.headers == {"X-Org": "acme"}
    assert r.budget == Budget(requests=5, output_tokens=100, requests_per_second=0.5)
    assert r.timeouts == Timeouts(1.0, 2.0, 3.0, 4.0)
    assert r.max_body_bytes == 2048
    assert {r: 1}[r] == 1  # hashable, so it can key caches
    assert r.api_key({"R_KEY": "secret"}) == "secret" and r.api_key({}) is None


def test_reference_is_built_in_even_when_the_file_omits_it() -> None:
    config = parse_targets("targets:\n  x: {base_url: https://x.example/v1}\n")
    assert config.names() == ["reference", "x"]
    assert config.get("reference") == reference_target()
    assert reference_target().api_key({}) == REFERENCE_API_KEY
    assert config.get("x").capabilities == frozenset(CAPABILITIES)  # nothing narrowed: the full surface


def test_without_a_file_only_reference_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESPCHECK_TARGETS", raising=False)
    assert load_targets().names() == ["reference"]
    other = tmp_path / "elsewhere.yaml"
    other.write_text("targets:\n  y: {base_url: embedded}\n")
    monkeypatch.setenv("RESPCHECK_TARGETS", str(other))
    assert load_targets().names() == ["reference", "y"]
    assert load_targets().get("y").embedded


# -- every mistake is one line naming the file, line, key path and fix ---------------------------

T = "targets:\n  x:\n    base_url: https://x.example/v1\n"

BAD_FILES = [
    pytest.param(
        "targets:\n  newapi:\n    base_url: https://x/v1\n    budget:\n      requests: ten\n",
        "targets.yaml:5: targets.newapi.budget.requests: expected an integer or null, got 'ten' — "
        "set a whole number",
        id="wrong-type",
    ),
    pytest.param(
        T + "    budgett: {requests: 1}\n",
        "targets.yaml:4: targets.x.budgett: unknown key (did you mean 'budget'?) — remove it or use one of:",
        id="unknown-key",
    ),
    pytest.param(
        "targetz: {}\n",
        "targets.yaml:1: targetz: unknown key (did you mean 'targets'?) — remove it or use one of: targets",
        id="unknown-top-level-key",
    ),
    pytest.param(
        T + "    capabilities: [stream, streaming]\n",
        "targets.yaml:4: targets.x.capabilities[1]: 'streaming' is not allowed (did you mean 'stream'?) — "
        "use one of: stream, store,",
        id="unknown-capability",
    ),
    pytest.param(
        T + "    profile: [doc:12ai, doc:foo]\n",
        "targets.yaml:4: targets.x.profile[1]: 'doc:foo' is not allowed",
        id="unknown-profile",
    ),
    pytest.param(
        T + "    api_key_env: sk-abc123secret\n",
        "targets.yaml:4: targets.x.api_key_env: not an environment variable name (the value is not "
        "repeated here: it may be the key itself) — give the variable's NAME",
        id="key-instead-of-variable",
    ),
    pytest.param(
        "targets:\n  x:\n    base_url: ftp://x\n",
        "targets.yaml:3: targets.x.base_url: 'ftp://x' is not an http(s) URL — set e.g. "
        "https://relay.example/v1, or 'embedded'",
        id="bad-url",
    ),
    pytest.param(
        "targets:\n  x:\n    api_key_env: X_KEY\n",
        "targets.yaml:2: targets.x: missing key 'base_url' — set the relay's URL",
        id="missing-base-url",
    ),
    pytest.param(
        T + "    budget: {requests_per_second: fast}\n",
        "targets.yaml:4: targets.x.budget.requests_per_second: expected null or a number, got 'fast' — "
        "set a number",
        id="union-type",
    ),
    pytest.param(
        T + "    timeouts: {total: 0}\n",
        "targets.yaml:4: targets.x.timeouts.total: 0 is out of range — set a value > 0",
        id="out-of-range",
    ),
    pytest.param(
        T + "    max_body_bytes: 10\n",
        "targets.yaml:4: targets.x.max_body_bytes: 10 is out of range — set a value ≥ 1024",
        id="too-small-cap",
    ),
    pytest.param(
        T + "    headers: {X-Org: 1}\n",
        "targets.yaml:4: targets.x.headers.X-Org: expected a string, got 1 — quote it as text",
        id="header-not-text",
    ),
    pytest.param(
        T + "    headers:\n      Authorization: Bearer sk-live-123\n",
        "targets.yaml:5: targets.x.headers.Authorization: credentials do not belong in targets.yaml — "
        "put the key in an environment variable and name it in api_key_env",
        id="credential-in-headers",
    ),
    pytest.param(
        T + "    capabilities: stream\n",
        "targets.yaml:4: targets.x.capabilities: 'stream' is not allowed — use one of: all",
        id="capabilities-not-a-list",
    ),
    pytest.param(
        T + "    capabilities: [stream, stream]\n",
        "targets.yaml:4: targets.x.capabilities: lists the same entry twice — remove the duplicate",
        id="duplicate-capability",
    ),
    pytest.param(
        "targets: [a, b]\n",
        "targets.yaml:1: targets: expected a mapping, got a list — give a mapping of keys",
        id="targets-not-a-mapping",
    ),
    pytest.param(
        "- a\n",
        "targets.yaml:1: (top level): expected a mapping, got a list",
        id="top-level-list",
    ),
    pytest.param(
        "targets:\n  x: {base_url: https://x/v1\n",
        "targets.yaml:3:1: malformed YAML (expected ',' or '}', but got '<stream end>') — fix the syntax",
        id="malformed-yaml",
    ),
    pytest.param(
        "targets:\n  x: {base_url: https://x/v1}\n  x: {base_url: https://y/v1}\n",
        "targets.yaml:3:3: duplicate key 'x' — keep one of them",
        id="duplicate-key",
    ),
    pytest.param("", "targets.yaml: the file is empty — add a 'targets:' mapping", id="empty"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_a_bad_file_is_one_line_naming_the_key_and_the_fix(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_targets(text, "targets.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(expected), message
    assert " — " in message  # always a fix after the dash


def test_a_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found — "):
        load_targets(missing)


def test_the_message_names_the_file_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "my-targets.yaml"
    path.write_text(T + "    budget: {requests: many}\n")
    with pytest.raises(ConfigError) as caught:
        load_targets(path)
    assert str(caught.value).startswith(f"{path}:4: targets.x.budget.requests: expected an integer")


# -- ad-hoc targets ------------------------------------------------------------------------------


def test_adhoc_target_claims_the_full_surface_unless_narrowed() -> None:
    full = adhoc_target("http://127.0.0.1:9/v1", "X", "m1")
    assert full.capabilities == frozenset(CAPABILITIES)
    # --model names the text model only: the other roles stay unnamed, their scenarios unsupported (issue 10)
    assert full.models.text == "m1" and full.models.reasoning is None and full.models.vision is None
    assert full.profiles == ("openai",) and full.api_key_env == "X"
    assert not full.embedded and full.resolved_base_url({}) == "http://127.0.0.1:9/v1"
    narrow = adhoc_target("https://r.example/v1/", capabilities="stream, store", profile="doc:12ai,openai")
    assert narrow.capabilities == frozenset({"stream", "store"})
    assert narrow.profiles == ("doc:12ai", "openai")
    assert narrow.base_url == "https://r.example/v1"
    assert skip_reason(full, {}) is not None  # the run may still try it: a missing key is the target's 401


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"base_url": "127.0.0.1:9"},
         "--base-url: the value given (not repeated here: it may be a key) is not an http(s) URL — pass"),
        ({"api_key_env": "sk-live-123"}, "--api-key-env: not an environment variable name (the value is not "
         "repeated here: it may be the key itself)"),
        ({"capabilities": "stream,backgroud"},
         "--capabilities: 'backgroud' is not a capability (did you mean 'background'?) — use"),
        ({"profile": "doc:newap"},
         "--profile: 'doc:newap' is not a profile (did you mean 'doc:newapi'?) — use"),
    ],
)
def test_adhoc_mistakes_are_one_line(kwargs: dict, expected: str) -> None:
    args = {"base_url": "http://127.0.0.1:9/v1", **kwargs}
    with pytest.raises(ConfigError) as caught:
        adhoc_target(**args)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(expected)


def test_shipped_file_is_valid_json_schema_instance_too() -> None:
    """Editors validate with the schema alone: the shipped file must pass it without respcheck's extras."""
    import yaml

    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(data)


def test_budget_exhausted_names_where_the_limit_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from respcheck.budget import BudgetExhausted, BudgetTracker
    from respcheck.selection import TargetOptions, select_target

    monkeypatch.chdir(SHIPPED.parent)

    def message(target: Target) -> str:
        tracker = BudgetTracker(target.budget.split(2), source=f"{target.source}.budget")
        with pytest.raises(BudgetExhausted) as caught:
            for _ in range(1000):
                tracker.charge_request()
        return str(caught.value)

    from_option = select_target(TargetOptions(budget_requests=4))
    # split over 2 workers, as under -n 2: each message says it is a worker's share of that limit
    assert message(from_option) == (
        "budget exhausted: 2 of 2 requests used "
        "(this worker's share of --budget-requests, split over 2 workers)"
    )
    adhoc = select_target(TargetOptions(base_url="http://127.0.0.1:9/v1"))
    assert "share of the ad-hoc target's default; --budget-requests sets it, split over" in message(adhoc)
    named = parse_targets(T + "    budget: {requests: 6}\n").get("x")
    assert "share of targets.yaml: targets.x.budget.requests, split over 2 workers" in message(named)


def test_options_on_a_named_target_are_checked_like_an_adhoc_one() -> None:
    from respcheck.selection import TargetOptions, select_target

    with pytest.raises(ConfigError, match=r"^--capabilities: 'backgroud' is not a capability \(did you mean"):
        select_target(TargetOptions(capabilities="stream,backgroud"))
    with pytest.raises(ConfigError, match=r"^--profile: 'doc:newap' is not a profile \(did you mean"):
        select_target(TargetOptions(profile="doc:newap"))
    narrowed = select_target(TargetOptions(capabilities="stream, store", profile="openresponses"))
    assert narrowed.capabilities == {"stream", "store"} and narrowed.profiles == ("openresponses",)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"budget_requests": 0}, "--budget-requests: 0 is out of range — set a value ≥ 1 and ≤ 10000000, or"),
        ({"budget_output_tokens": -3}, "--budget-output-tokens: -3 is out of range — set a value ≥ 1 and"),
        ({"budget_rps": 0.0}, "--budget-rps: 0.0 is out of range — set a value ≥ 0.01 and ≤ 10000, or omit"),
        ({"budget_rps": 1e-300}, "--budget-rps: 1e-300 is out of range — set a value ≥ 0.01"),
        ({"budget_rps": float("inf")}, "--budget-rps: expected a number, got .inf — set a number ≥ 0.01 and"),
        ({"budget_rps": float("nan")}, "--budget-rps: expected a number, got .nan — set a number ≥ 0.01 and"),
        ({"base_url": "http://127.0.0.1:99999/v1"}, "--base-url: 'http://127.0.0.1:99999/v1' is not an"),
        ({"base_url": "http://[::1/v1"}, "--base-url: 'http://[::1/v1' is not an http(s) URL"),
    ],
)
def test_out_of_range_options_are_one_line(options: dict, expected: str) -> None:
    """Bounds the file's schema sets, and URLs no socket can open: a ConfigError, not a crash later."""
    from respcheck.selection import TargetOptions, select_target

    with pytest.raises(ConfigError) as caught:
        select_target(TargetOptions(**options))
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


def test_a_base_url_no_socket_can_open_is_a_file_error_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"^targets.yaml:3: targets.x.base_url: 'https://h:99999/v1' is no"):
        parse_targets("targets:\n  x:\n    base_url: https://h:99999/v1\n")
    monkeypatch.setenv("RELAY_URL", "http://[::1/v1")
    relay = parse_targets("targets:\n  x:\n    base_url_env: RELAY_URL\n    api_key_env: null\n")
    with pytest.raises(ConfigError, match=r"base_url_env: RELAY_URL: 'http://\[::1/v1' is not an http\(s\)"):
        relay.select("x")


def test_tags_and_upstream_are_read():
    text = (
        "targets:\n  r:\n    base_url: http://127.0.0.1:1/v1\n"
        "    tags: [real, light]\n    upstream: reference\n"
    )
    target = parse_targets(text).get("r")
    assert target.tags == ("real", "light") and target.upstream == "reference"
    assert parse_targets("targets:\n  r: {base_url: http://127.0.0.1:1/v1}\n").get("r").tags == ()


def test_shipped_real_targets_are_tagged():
    shipped = load_targets(SHIPPED)
    assert {n for n, t in shipped.targets.items() if "real" in t.tags} >= {"agentserver", "aimock"}
