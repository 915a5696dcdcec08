"""The light real targets (targets/agentserver: Microsoft's azure-ai-agentserver-responses;
targets/aimock: CopilotKit's aimock), installed from the registries (cached after the first time),
started on free loopback ports and run by respcheck. Each one's set of findings is pinned: every
check id below was verified by reading its exchange (COMPATIBILITY.md), so a respcheck change that
stops finding one of them, or starts finding something new, fails here.

The hypothesis-generated tests are left out (-k) to keep this under a minute; the matrix runs them."""

from __future__ import annotations

import json

import pytest

from tests.real_targets import finding_ids, findings, respcheck_run, running

EXPECTED = {
    "agentserver": {
        "create.stream_parity",  # the JSON Response omits background, error, instructions, usage; the
        # streamed one has them
        "delete.result",  # a delete answers "object": "response", not "response.deleted"
        "error.envelope",  # a 405 on PUT/PATCH/GET /v1/responses is text/plain "Method Not Allowed"
        "errors.refused",  # temperature 2.5, top_p 1.5, max_output_tokens 0, an unknown model: answered 200;
        # the 400s of schema validation name param null (the field only in details[].param "$.temperature")
        "lifecycle.unknown_id",  # an unknown resp_... id is 400 "Malformed identifier" (its ids are caresp_)
        "response.echo",  # max_output_tokens and instructions are not echoed in the Response
        "response.id",  # ids are caresp_..., not resp_...
        "scenario.answered",  # POST /v1/responses/input_tokens is 405
        "schema.response",  # tools, tool_choice, metadata, instructions, error, incomplete_details omitted
        "usage.present",  # completed responses carry no usage
    },
    "aimock": {
        "create.answered",  # tool_choice none answered with a function call and no text (a fixed fixture)
        "create.arithmetic",  # "What is 2 + 3?" gets "This is aimock's fixed answer." (the finding says
        # it needs a model that can do arithmetic)
        "error.fields",  # error objects lack code and param
        "errors.refused",  # every documented limit broken is answered 200 (input 42, tools {} answer 500)
        "request.tool_choice",  # tool_choice none / {"name": "get_time"} answered with a call to get_weather
        "response.echo",  # instructions, metadata, max_output_tokens not echoed
        "response.id",  # ids are resp-..., not resp_...
        "response.model",  # model null when the request had none (it echoes what it got)
        "schema.event",  # events carry no sequence_number; text deltas no logprobs
        "scenario.answered",  # POST /v1/responses/input_tokens is 404
        "schema.recently_required",  # output_text parts without logprobs
        "schema.response",  # usage details, error, incomplete_details, instructions omitted
        "stream.sequence_number.present",  # no event is numbered
        "tools.round_trip",  # the inline function_call_output is answered with the same function call again
        "usage.nonzero",  # usage is 0/0/0 on every answer
        "usage.at_limit",  # max_output_tokens 0 accepted, answered "completed" with output_tokens 0
    },
}


# checks whose verdict depends on timing (a loaded CI machine can make any fast stream look buffered)
TIMING_DEPENDENT = {"stream.buffered"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_target_finding_set(name, tmp_path):
    report = tmp_path / "report"
    with running(name, tmp_path / "scratch") as env:
        code = respcheck_run(name, env, report, "-k", "not generated")
    summary = json.loads((report / "summary.json").read_text())
    assert code == 1, f"{name}: exit {code}, expected 1 (conformance failures)"
    assert not summary["budget_exhausted"], f"{name}: {summary['budget_exhausted']}"
    found = finding_ids(report) - TIMING_DEPENDENT
    unexpected = [f"{f['check_id']} on {f['test']} ({f['exchange_id']}): {f['message']}"
                  for f in findings(report) if f["check_id"] in found - EXPECTED[name]]
    assert found == EXPECTED[name], "\n".join(unexpected)  # what a new one said, to read without a rerun
