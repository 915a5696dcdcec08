"""Scenario checks: what a suite scenario expects that only its intent can say.

"The answer recalls teal" holds only because the scenario stated the fact a turn earlier; no
recording shows that intent, so replay cannot judge these. The suites record their findings
through the ``expect`` fixture (``respcheck.scenario.Expect``); everything else about a finding
(id, clause, severity, reports, baseline) is as for any other check. What an exchange or a
sequence of exchanges shows by itself is a check in ``behaviour.py`` / ``request.py`` instead.

``needs`` names what the expectation asks of the model beyond honesty: a target whose model only
echoes its prompt is skipped there as "model cannot answer", never failed.
"""

from __future__ import annotations

from respcheck.checks.registry import scenario_check

ANSWERED = scenario_check(
    "scenario.answered",
    clause="OpenAI API: a valid request is answered 2xx with a Response (or the object its endpoint "
    "returns); the scenario needs it to go on",
    summary="a request the scenario needs answered is answered with a Response, not an error",
)

# A model that rejects a sampling parameter is not a fault (OpenAI's reasoning models reject
# temperature): the probe's answer is recorded so the report says why tests needing it are unsupported.
MODEL_REJECTS_PARAMETER = scenario_check(
    "model.rejects_parameter",
    severity="info",
    clause="OpenAI API reference: reasoning models reject sampling parameters (400 unsupported_parameter)",
    summary="a model the target serves rejects a parameter (learned by one probe): respcheck does not send "
    "it to that model again, and the tests that need it are unsupported",
)

# -- create -----------------------------------------------------------------------------------------
CREATE_ANSWERED = scenario_check(
    "create.answered",
    clause="OpenAI API, Response.status: a plain prompt with room to answer ends completed, with output "
    "text",
    summary="a plain prompt is answered: status completed, with some output text",
)
CREATE_ARITHMETIC = scenario_check(
    "create.arithmetic",
    clause="a developer + user conversation is answered: 'What is 2 + 3?' gets 5",
    summary="the answer to a small sum holds its result (the input messages reached the model)",
    needs="a model that can do small arithmetic",
)
CREATE_MAX_OUTPUT_TOKENS = scenario_check(
    "create.max_output_tokens",
    clause="OpenAI API, CreateResponse.max_output_tokens: an output cut at the limit ends incomplete "
    "(incomplete_details.reason max_output_tokens; a stream ends with response.incomplete)",
    summary="asked for a long answer under a tiny max_output_tokens, an output that reached the limit is "
    "incomplete with reason max_output_tokens",
)
CREATE_STREAM_PARITY = scenario_check(
    "create.stream_parity",
    clause="OpenAI API: the same request answered as JSON and as a stream ends with the same Response shape",
    summary="a request answered as JSON and as a stream gives Responses with the same fields and item types",
)

# -- conversation -----------------------------------------------------------------------------------
RECALL = scenario_check(
    "conversation.recall",
    clause="OpenAI API, CreateResponse.previous_response_id: the new turn continues that conversation "
    "(the model sees the earlier turns)",
    summary="a fact stated in turn one is recalled in a turn chained to it by previous_response_id",
    needs="a model that can recall a fact stated earlier",
)
ISOLATION = scenario_check(
    "conversation.isolation",
    clause="OpenAI API: without previous_response_id (or conversation) a response starts a new conversation",
    summary="a response created without previous_response_id knows nothing of an earlier one",
)

# -- lifecycle and background -------------------------------------------------------------------------
UNKNOWN_ID = scenario_check(
    "lifecycle.unknown_id",
    clause="OpenAI API: GET/DELETE/cancel/input_items of a response id that does not exist answer 404 with "
    "an error object",
    summary="an id that never existed is answered 404 with an OpenAI error object",
)
MALFORMED_ID = scenario_check(
    "lifecycle.malformed_id",
    clause="OpenAI API: a malformed response id is a client error (4xx with an error object), never a 5xx",
    summary="a malformed response id is answered 4xx with an error object",
)
INPUT_ITEMS = scenario_check(
    "lifecycle.input_items",
    clause="OpenAI API, GET /responses/{id}/input_items: the input items the response was created with, "
    "paged by limit/after/order, each once",
    summary="input_items lists the response's own input, each item once across pages; limit out of "
    "1..100 is refused",
)
BACKGROUND = scenario_check(
    "background.status",
    clause="OpenAI API, background mode: the create answers queued or in_progress, the response then "
    "reaches a terminal status that stays",
    summary="a background response starts queued/in_progress and ends completed, and its terminal status "
    "does not change",
)
CANCEL = scenario_check(
    "background.cancel",
    clause="OpenAI API, POST /responses/{id}/cancel: a running background response is cancelled (status "
    "cancelled); a finished or foreground response is refused with a 4xx error",
    summary="a cancel cancels a running background response; a cancel of a finished or foreground one is "
    "a 4xx error",
)

# -- tools, reasoning, streaming, inputs ------------------------------------------------------------------
TOOL_ROUND_TRIP = scenario_check(
    "tools.round_trip",
    clause="OpenAI API, function_call_output: the model is given the tool's result and answers in text",
    summary="a function call's output sent back (chained or inline) is answered with text",
)
REASONING = scenario_check(
    "reasoning.answered",
    clause="OpenAI API, reasoning: effort is echoed in Response.reasoning; a summary asked for gives "
    "reasoning items with summary text; usage counts reasoning_tokens",
    summary="a reasoning request is answered with its effort echoed, a summary when asked, reasoning tokens "
    "counted",
)
STREAM_EVENTS = scenario_check(
    "streaming.events",
    clause="OpenAI API, streaming: text arrives as response.output_text.delta events, call arguments as "
    "response.function_call_arguments.delta; include_obfuscation false sends no obfuscation field",
    summary="a stream carries the delta events of what it streams, and honours "
    "stream_options.include_obfuscation",
)
INPUT_TOKENS = scenario_check(
    "input_tokens.grows",
    clause="OpenAI API, POST /responses/input_tokens: the count grows with the input (more text, "
    "instructions, messages, tools)",
    summary="a longer input counts more input tokens (and never fewer with more context)",
)

# -- errors ------------------------------------------------------------------------------------------------
REFUSED = scenario_check(
    "errors.refused",
    clause="OpenAI API: an invalid request (the scenario made it so: a documented constraint broken, a "
    "missing key, a wrong method) is refused with its 4xx and an OpenAI error object naming the param",
    summary="an invalid request is refused with the right 4xx and an error object naming the offending param",
)
NO_5XX = scenario_check(
    "errors.no_5xx",
    clause="OpenAI API: what a client sends is never a server error; a request a relay does not serve is "
    "answered or refused (4xx)",
    summary="a request the scenario sends is answered or refused, never with a 5xx",
)
GENERATED = scenario_check(
    "generated.accepted",
    clause="OpenAI API, CreateResponse: a request valid against the request schema is answered 2xx",
    summary="a generated request valid against the request schema is answered 2xx",
)
