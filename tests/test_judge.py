"""judge: one fault, one finding (a schema finding a semantic error explains is its evidence),
and the sequence checks judged over one scenario."""

from __future__ import annotations

from respcheck.exchange import Exchange
from respcheck.findings import Finding, Severity
from respcheck.judge import ScenarioJudge, judge, judge_recording, judge_sequence
from respcheck.replay.jsonl import exchange_from_record
from tests import recorded

DELETE = "alexrudall__ruby-openai/spec/fixtures/cassettes/responses_delete.yml#0"
JSON_CREATE = "simonw__llm/tests/cassettes/test_openai_responses/test_responses_basic_non_streaming.yaml#0"
BACKGROUND = (
    "pydantic__pydantic-ai/tests/models/cassettes/test_openai_responses/"
    "test_background_mode_vcr.yaml"
)


def test_a_broken_delete_body_is_one_finding_with_the_schema_finding_as_evidence() -> None:
    rec = recorded.record(DELETE)
    rec["response"]["body"]["deleted"] = "true"
    found = judge(exchange_from_record(rec))
    assert [f.check_id for f in found if f.severity is Severity.ERROR] == ["delete.result"]
    [finding] = [f for f in found if f.check_id == "delete.result"]
    assert any(e.startswith("schema.deleted:") for e in finding.evidence)
    assert finding.to_dict()["evidence"] == list(finding.evidence)


def test_chat_style_usage_is_counted_once() -> None:
    rec = recorded.record(JSON_CREATE)
    usage = rec["response"]["body"]["usage"]
    rec["response"]["body"]["usage"] = {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    errors = [f for f in judge(exchange_from_record(rec)) if f.severity is Severity.ERROR]
    assert [f.check_id for f in errors] == ["usage.names"], errors
    assert errors[0].evidence


def test_a_schema_fault_no_semantic_check_explains_stays_a_finding() -> None:
    rec = recorded.record(JSON_CREATE)
    del rec["response"]["body"]["tools"]
    assert "schema.response" in {f.check_id for f in judge(exchange_from_record(rec))}


def test_findings_without_evidence_serialise_as_before() -> None:
    rec = recorded.record(DELETE)
    rec["response"]["body"]["object"] = "response"
    [finding] = [f for f in judge(exchange_from_record(rec)) if f.check_id == "delete.result"]
    assert "evidence" not in finding.to_dict() or finding.evidence


def test_sequence_checks_run_only_in_judge_sequence() -> None:
    exchanges = [exchange_from_record(recorded.record(f"{BACKGROUND}#{i}")) for i in range(3)]
    assert judge_sequence(exchanges) == []  # a real background cassette: silent
    retrieve = exchanges[2]
    retrieve.body["model"] = "gpt-relay-other"
    [finding] = judge_sequence(exchanges)
    assert finding.check_id == "lifecycle.model" and finding.exchange_id == retrieve.id
    assert "lifecycle.model" not in {f.check_id for f in judge(retrieve)}
    assert [f.check_id for f in judge_recording(exchanges)[retrieve.id] if f.check_id == "lifecycle.model"]
    # Live: reported once, when the exchange that shows it arrives.
    assert judge_latest(exchanges[:2]) == []
    assert [f.check_id for _, f in judge_latest(exchanges)] == ["lifecycle.model"]


def judge_latest(history: list[Exchange]) -> list[tuple[str, Finding]]:
    """What a live test's ScenarioJudge says about the last exchange of ``history``."""
    scenario = ScenarioJudge()
    for ex in history[:-1]:
        scenario.see(ex)
    return scenario.add(history[-1])


def _call(index: int, method: str, path: str, status: int, body: object, request: object = None) -> Exchange:
    return exchange_from_record({
        "id": f"x/{index}",
        "request": {"method": method, "path": path, "body": request, "query": {}},
        "response": {"status": status, "content_type": "application/json", "body": body},
    })


def _response(rid: str, status: str = "completed", model: str = "gpt-4.1-mini") -> dict:
    return {"id": rid, "object": "response", "created_at": 1, "status": status, "model": model, "output": []}


def _every_sequence_check_fires() -> list[Exchange]:
    create = {"model": "gpt-4.1-mini", "input": "hi"}
    base = "/v1/responses"
    return [
        _call(0, "POST", base, 200, _response("resp_a"), {**create, "store": False}),
        _call(1, "GET", f"{base}/resp_a", 200, _response("resp_a")),  # lifecycle.store_false
        _call(2, "POST", base, 200, _response("resp_b"), create),
        _call(3, "GET", f"{base}/resp_b", 200, _response("resp_b", model="gpt-other")),  # model, matches
        _call(4, "POST", base, 200, _response("resp_c", "in_progress"), {**create, "background": True}),
        _call(5, "POST", f"{base}/resp_c/cancel", 400, {"error": {"message": "no"}}),  # lifecycle.cancel
        _call(6, "DELETE", f"{base}/resp_b", 200, {"id": "resp_b", "object": "response", "deleted": True}),
        _call(7, "GET", f"{base}/resp_b/input_items", 200, {"object": "list", "data": []}),  # deleted
        _call(8, "POST", base, 200, _response("resp_d"), create),
    ]


def test_judge_latest_runs_only_the_sequence_checks_about_the_latest_endpoint_and_finds_the_same() -> None:
    """A live run judges the sequence after every exchange; the checks whose findings cannot be about
    the latest exchange's endpoint are skipped, with the same findings as running them all."""
    exchanges = _every_sequence_check_fires()
    fired = {f.check_id for f in judge_sequence(exchanges)}
    assert {"lifecycle.store_false", "lifecycle.model", "lifecycle.cancel", "lifecycle.deleted",
            "lifecycle.retrieve_matches_create"} <= fired
    for end in range(1, len(exchanges) + 1):
        history = exchanges[:end]
        every = [f for f in judge_sequence(history) if f.exchange_id == history[-1].id]
        assert [f for _, f in judge_latest(history)] == every, history[-1].id


def test_a_scenario_judge_fed_one_exchange_at_a_time_finds_what_judging_the_whole_sequence_finds() -> None:
    """A live test feeds each exchange to its ScenarioJudge once (each check keeps its state): after
    every exchange it reports what the sequence checks over everything so far say about that one,
    and over the scenario every finding of judge_sequence is reported once (the refused cancel's
    message as it stood when the cancel arrived: the response had not run on yet)."""
    exchanges = _every_sequence_check_fires()
    scenario = ScenarioJudge(["openai"])
    reported = []
    for end, ex in enumerate(exchanges, start=1):
        found = scenario.add(ex)
        every = [f for f in judge_sequence(exchanges[:end]) if f.exchange_id == ex.id]
        assert [f for _, f in found] == every, ex.id
        reported += [f for _, f in found]
    assert {(f.check_id, f.exchange_id) for f in reported} == {
        (f.check_id, f.exchange_id) for f in judge_sequence(exchanges)}
    assert len(reported) == 5


def test_a_sequence_check_reports_only_about_exchanges_of_its_endpoints() -> None:
    from respcheck.checks.registry import all_checks, get_check

    for check in (c for c in all_checks() if c.scope == "sequence"):
        assert check.endpoints is not None, f"{check.id}: a sequence check names the endpoints it judges"
    exchanges = _every_sequence_check_fires()
    by_id = {ex.id: ex for ex in exchanges}
    for finding in judge_sequence(exchanges):
        assert by_id[finding.exchange_id or ""].endpoint in (get_check(finding.check_id).endpoints or ())


def test_the_sequence_checks_response_objects_are_kept_per_exchange_while_it_lives() -> None:
    import gc
    import weakref

    from respcheck.checks.common import kept_per_exchange

    calls: list[str] = []

    @kept_per_exchange
    def ids(ex: Exchange) -> tuple[str, ...]:
        calls.append(ex.id)
        return (str(ex.body.get("id")),) if isinstance(ex.body, dict) else ()

    first, second = _every_sequence_check_fires()[:2]
    for _ in range(3):
        assert ids(first) == ("resp_a",) and ids(second) == ("resp_a",)
    assert calls == ["x/0", "x/1"]  # each computed once, however often and interleaved it is read
    second.body = _response("resp_z")  # another body: computed again
    assert ids(second) == ("resp_z",) and calls == ["x/0", "x/1", "x/1"]
    alive = weakref.ref(second)
    del first, second
    gc.collect()
    assert alive() is None  # the kept value does not keep its exchange alive


def test_a_check_registered_after_the_registry_was_read_is_judged_at_once() -> None:
    """The registry's sorted lists are made once per registry state (replay asks for the sequence checks
    once per file, a live run at every expect): a registration makes them again."""
    from respcheck.checks import registry
    from respcheck.checks.registry import SequenceState, Violation, all_checks, check, sequence_checks

    before = {c.id for c in all_checks()}

    class Everything(SequenceState):
        def see(self, ex: Exchange, index: int) -> list[Violation]:
            return [Violation("seen", exchange=index)]

    try:
        check("zz_test.exchange", clause="test", summary="test")(
            lambda ex, ctx: iter([Violation("found")]))
        check("zz_test.sequence", clause="test", summary="test", scope="sequence")(Everything)
        assert {c.id for c in all_checks()} - before == {"zz_test.exchange", "zz_test.sequence"}
        assert sequence_checks()[-1].id == "zz_test.sequence"
        ex = exchange_from_record(recorded.record(JSON_CREATE))
        assert "zz_test.exchange" in {f.check_id for f in judge(ex)}
        assert "zz_test.sequence" in {f.check_id for f in judge_sequence([ex])}
    finally:
        for made in ("zz_test.exchange", "zz_test.sequence"):
            registry._REGISTRY.pop(made, None)
        registry._ORDERED.clear()
        registry._RELEVANT.clear()
    assert {c.id for c in all_checks()} == before
