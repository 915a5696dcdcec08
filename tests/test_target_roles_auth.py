"""Issue 10, the target side: models by role, what each model accepts, where the key goes, and what
happens when the key is missing or wrong. Each run is ``respcheck run`` in a subprocess against the
reference server (in this process) playing a faithful OpenAI-like server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from respcheck.config import Auth, ConfigError, Target, adhoc_target, name_from_host, parse_targets
from respcheck.exchange import Exchange, Request
from respcheck.scenario import Expect
from respcheck.server.run import RunningServer, start_server
from respcheck.session.repro import curl_for_record
from suites import test_errors

KEY = "sk-respcheck-roles-0123456789abcdef"
ENV = {"ROLES_KEY": KEY}


class Counting:
    """An ASGI wrapper counting the HTTP requests that reached the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@pytest.fixture
def counted() -> Iterator[tuple[RunningServer, list[Counting]]]:
    wrappers: list[Counting] = []

    def wrap(app: Any) -> Counting:
        wrappers.append(Counting(app))
        return wrappers[-1]

    with start_server(api_key=KEY, app_wrapper=wrap) as server:
        yield server, wrappers


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ENV}
    return subprocess.run([sys.executable, "-m", "respcheck.cli", "run", *args, "--budget-rps", "1000"],
                          capture_output=True, text=True, timeout=600, env={**environ, **(env or {})},
                          cwd=cwd)


def records(report: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (report / "exchanges.jsonl").read_text().splitlines()]


def test_a_text_model_alone_leaves_the_reasoning_scenarios_unsupported(tmp_path: Path) -> None:
    with start_server(api_key=KEY) as server:
        done = run("--base-url", server.base_url, "--api-key-env", "ROLES_KEY", "--model", "gpt-4.1-mini",
                   "--suite", "reasoning", "--suite", "streaming", "--report-dir", str(tmp_path / "r"),
                   cwd=tmp_path, env=ENV)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["target"]["name"] == name_from_host(server.base_url)
    reasoning = [t for t in summary["tests"] if t["area"] == "reasoning"]
    assert reasoning and all(t["outcome"] == "unsupported" for t in reasoning)
    assert all("names no reasoning model: pass --reasoning-model" in t["message"] for t in reasoning)
    sent = [r["request"]["body"] for r in records(tmp_path / "r")
            if isinstance(r["request"].get("body"), dict)]
    assert not [b for b in sent if "reasoning" in b]  # nothing reasoning went to the text model


def test_a_reasoning_model_as_text_model_is_sent_no_parameter_it_rejects(tmp_path: Path) -> None:
    with start_server(api_key=KEY) as server:
        done = run("--base-url", server.base_url, "--api-key-env", "ROLES_KEY", "--model", "gpt-5-mini",
                   "--suite", "create", "--suite", "generated", "--suite", "errors",
                   "-k", "temperature or generated or limits", "--report-dir", str(tmp_path / "r"),
                   cwd=tmp_path, env=ENV)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    carrying = [r for r in records(tmp_path / "r")
                if isinstance(body := r["request"].get("body"), dict) and body.get("model") == "gpt-5-mini"
                and any(p in body and body[p] != 1 for p in ("temperature", "top_p"))]
    # one probe per parameter, answered 400 unsupported_parameter; never sent again
    assert sorted(p for r in carrying for p in ("temperature", "top_p") if p in r["request"]["body"]) == [
        "temperature", "top_p"]
    assert all(r["response"]["body"]["error"]["code"] == "unsupported_parameter" for r in carrying)
    findings = [json.loads(line) for line in (tmp_path / "r" / "findings.ndjson").read_text().splitlines()]
    learned = [f for f in findings if f["check_id"] == "model.rejects_parameter"]
    assert [f["severity"] for f in learned] == ["info", "info"]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    skipped = [t for t in summary["tests"] if "temperature_range" in t["nodeid"]]
    assert skipped and all(t["message"] == "unsupported (model gpt-5-mini rejects temperature: the target "
                                          "said so)" for t in skipped)


def test_declared_rejections_are_not_even_probed(tmp_path: Path) -> None:
    with start_server(api_key=KEY) as server:
        (tmp_path / "targets.yaml").write_text(
            f"targets:\n  relay:\n    base_url: {server.base_url}\n    api_key_env: ROLES_KEY\n"
            "    models: {text: gpt-5-mini}\n"
            "    unsupported_parameters: {gpt-5-mini: [temperature, top_p]}\n")
        done = run("--target", "relay", "--suite", "create", "--suite", "generated", "-k",
                   "temperature or generated_request_json", "--report-dir", str(tmp_path / "r"),
                   cwd=tmp_path, env=ENV)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    sent = [r["request"]["body"] for r in records(tmp_path / "r")]
    assert sent and not [b for b in sent if isinstance(b, dict) and ("temperature" in b or "top_p" in b)]


def test_an_unset_key_variable_is_exit_2_before_any_request(tmp_path: Path, counted) -> None:
    server, wrappers = counted
    done = run("--base-url", server.base_url, "--api-key-env", "ROLES_KEY", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("respcheck: --api-key-env: environment variable ROLES_KEY is not set — "
                                   f"export ROLES_KEY=<your key> to test {name_from_host(server.base_url)}")
    assert wrappers[0].requests == 0


@pytest.mark.parametrize(("args", "env", "expected"), [
    (("--api-key-env", "ROLES_KEY"), {"ROLES_KEY": "sk-wrong-wrong-wrong"},
     "respcheck: every request is refused with 401: is --api-key-env right? (ROLES_KEY is sent in the "
     "Authorization header (Bearer scheme))"),
    ((), {}, "respcheck: every request is refused with 401: does it need a key? pass --api-key-env VAR"),
], ids=["wrong-key", "no-key-option"])
def test_a_refused_key_stops_the_run_within_5_requests(tmp_path: Path, counted, args, env, expected) -> None:
    server, wrappers = counted
    done = run("--base-url", server.base_url, *args, "--report-dir", str(tmp_path / "r"), cwd=tmp_path,
               env=env)
    assert done.returncode == 2, (done.stdout + done.stderr)[-3000:]
    assert done.stderr.strip() == expected
    assert wrappers[0].requests == 1  # the preflight: one create with an empty body
    assert not (tmp_path / "r").exists()  # stopped before the run began
    assert "sk-wrong-wrong-wrong" not in done.stdout + done.stderr


def test_a_relay_taking_only_api_key_passes_when_the_target_says_so(tmp_path: Path) -> None:
    with start_server(api_key=KEY, auth_header="api-key") as server:
        (tmp_path / "targets.yaml").write_text(
            f"targets:\n  azure-like:\n    base_url: {server.base_url}\n    api_key_env: ROLES_KEY\n"
            "    auth: {header: api-key}\n"
            "    models: {text: gpt-4.1-mini, reasoning: gpt-5-mini, vision: gpt-4o-mini}\n")
        done = run("--target", "azure-like", "--suite", "create", "--suite", "errors", "--suite", "sdk",
                   "-k", "not generated", "--report-dir", str(tmp_path / "r"), cwd=tmp_path, env=ENV)
        refused = run("--base-url", server.base_url, "--api-key-env", "ROLES_KEY", "--suite", "create",
                      "--report-dir", str(tmp_path / "bearer"), cwd=tmp_path, env=ENV)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    keyed = {t["nodeid"].split("::")[1]: t["outcome"]
             for t in summary["tests"] if "key_is_401" in t["nodeid"]}
    assert keyed == {"test_no_key_is_401": "passed", "test_wrong_key_is_401": "passed"}
    sent = records(tmp_path / "r")
    assert all("Authorization" not in r["request"]["headers"] for r in sent)
    assert any(r["request"]["headers"].get("Api-Key") == "[REDACTED]" for r in sent)
    # the key appears in no output: console, and every report file
    assert KEY not in out
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    # a repro sends the key where the target takes it, as the variable
    repro = curl_for_record(sent[0], summary["target"])
    assert '"Api-Key: $ROLES_KEY"' in repro and "Authorization" not in repro
    # the same relay, the key sent as Bearer (the target did not say api-key): one line, exit 2
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("respcheck: every request is refused with 401")


def test_an_adhoc_target_sends_the_key_in_the_header_it_names(tmp_path: Path) -> None:
    with start_server(api_key=KEY, auth_header="x-api-key") as server:
        done = run("--base-url", server.base_url, "--api-key-env", "ROLES_KEY", "--auth-header", "x-api-key",
                   "--suite", "create", "-k", "instructions", "--report-dir", str(tmp_path / "r"),
                   cwd=tmp_path, env=ENV)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert all(r["request"]["headers"].get("X-Api-Key") == "[REDACTED]" for r in records(tmp_path / "r"))


def test_no_key_answered_200_says_expected_401_got_200() -> None:
    answered = Exchange(id="x", request=Request("POST", "/v1/responses", body={"input": "hi"}), status=200,
                        body={"id": "resp_1", "object": "response", "status": "completed", "output": []})

    class Client:
        target = adhoc_target("http://127.0.0.1:9/v1", "ROLES_KEY")

        def send(self, *args: Any, **kwargs: Any) -> Exchange:
            return answered

    class Models:
        text = "gpt-4.1-mini"

    found: list[Any] = []
    expect = Expect(record=found.append, skip=pytest.skip)
    # conforms' own findings (the 200 has no error object) no longer stop the scenario: the
    # expectation is recorded beside them, saying what was expected (issue 10, findings not asserts)
    test_errors.test_no_key_is_401(Client(), Models(), lambda ex: ex, expect)
    assert [f.check_id for f in found] == ["errors.refused"]
    assert "answered 200; expected 401" in found[0].message


@pytest.mark.parametrize(("url", "name"), [
    ("https://relay.example.com/v1", "relay.example.com"),
    ("http://relay.example:8080/v1", "relay.example-8080"),
    ("http://127.0.0.1:18711/v1", "127.0.0.1-18711"),
    ("http://[::1]:8080/v1", "1-8080"),
])
def test_an_adhoc_target_is_named_from_its_host(url: str, name: str) -> None:
    assert name_from_host(url) == name
    assert adhoc_target(url).name == name


def test_the_client_stops_when_its_first_keyed_requests_are_all_refused() -> None:
    """The guard inside the run (a key refused only once the run began, or a preflight answered oddly):
    the 3rd refused request with the target's own key raises; keyless and wrong-key probes do not count."""
    from respcheck.client import KeyRefused, ResponsesClient

    with start_server(api_key=KEY) as server:
        target = adhoc_target(server.base_url, "ROLES_KEY")
        with ResponsesClient(target, environ={"ROLES_KEY": "sk-not-the-key-0000"}) as client:
            for _ in range(4):
                assert client.send("POST", "/responses", json={}, auth=False).status == 401
            assert client.send("POST", "/responses", json={}, key="sk-other-0000").status == 401
            client.send("POST", "/responses", json={})
            client.send("POST", "/responses", json={})
            with pytest.raises(KeyRefused, match=r"^every request is refused with 401: is --api-key-env"):
                client.send("POST", "/responses", json={})
        with ResponsesClient(target, environ=ENV) as client:  # the right key: never stops
            for _ in range(4):
                assert client.send("POST", "/responses", json={}).status == 400


@pytest.mark.parametrize(("auth", "expected"), [
    ("{header: api-key}", Auth(header="api-key", scheme=None)),
    ("{header: x-api-key}", Auth(header="x-api-key", scheme=None)),
    ("{header: Authorization}", Auth()),
    ("{header: Authorization, scheme: Token}", Auth(header="Authorization", scheme="Token")),
    ("{query: key}", Auth(header=None, scheme=None, query="key")),
])
def test_auth_in_targets_yaml(auth: str, expected: Auth) -> None:
    config = parse_targets(f"targets:\n  r:\n    base_url: https://r.example/v1\n    api_key_env: R_KEY\n"
                           f"    auth: {auth}\n")
    assert config.get("r").auth == expected


@pytest.mark.parametrize("auth", ["{header: 'api key'}", "{header: api-key, query: key}", "{cookie: k}"])
def test_a_bad_auth_is_one_line(auth: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_targets(f"targets:\n  r:\n    base_url: https://r.example/v1\n    auth: {auth}\n")
    assert "\n" not in str(caught.value) and "targets.r.auth" in str(caught.value)


def test_a_key_as_a_query_parameter_is_sent_there_and_redacted() -> None:
    import httpx

    from respcheck.client import ResponsesClient

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.dumps({"error": {"message": "bad", "type": "invalid_request_error", "param": "model",
                                     "code": None}}).encode()
        return httpx.Response(400, headers={"content-type": "application/json"},
                              stream=httpx.ByteStream(body))

    target = Target(name="q", base_url="https://relay.example/v1", api_key_env="ROLES_KEY",
                    auth=Auth(header=None, scheme=None, query="key"))
    with ResponsesClient(target, environ=ENV, transport=httpx.MockTransport(answer)) as client:
        ex = client.send("POST", "/responses", json={})
        keyless = client.send("POST", "/responses", json={}, auth=False)
    assert seen[0].url.params["key"] == KEY and "authorization" not in seen[0].headers
    assert "key" not in seen[1].url.params
    assert ex.request.query == {"key": "[REDACTED]"} and KEY not in repr(ex)
    repro = curl_for_record({"request": {"method": "POST", "path": "/v1/responses", "query": ex.request.query,
                                         "headers": {}, "body": {}}},
                            {"name": "q", "base_url": "https://relay.example/v1", "api_key_env": "ROLES_KEY",
                             "auth": {"header": None, "scheme": None, "query": "key"}})
    assert repro.startswith("""curl -sS -X POST 'https://relay.example/v1/responses?key='"$ROLES_KEY" """)
    assert "Authorization" not in repro and keyless.request.query == {}
