"""What each model accepts: the request parameters a model rejects are never sent to it.

OpenAI's reasoning models reject ``temperature`` and ``top_p`` (400 ``unsupported_parameter``);
its text models reject ``reasoning.effort``. A target declares what its models reject in
targets.yaml (``unsupported_parameters: {gpt-5-mini: [temperature, top_p]}``); what it does not
declare is learned from the target itself: one probe per model and parameter, the first time a
test would send that parameter to that model. A rejection learned so is an info finding (so the
report says why the tests that need the parameter are unsupported), and the parameter is not sent
to that model again by this process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from respcheck.checks.expectations import MODEL_REJECTS_PARAMETER
from respcheck.checks.registry import scenario_finding
from respcheck.exchange import Exchange
from respcheck.findings import Finding

# The parameters whose acceptance depends on the model, and a value that is not the default (a
# reasoning model accepts temperature 1, the default, and rejects any other).
PROBED = {"temperature": 0.5, "top_p": 0.5}


def rejection(exchange: Exchange, param: str) -> str | None:
    """The target's own words when ``exchange`` is a refusal of ``param`` as unsupported, else None."""
    body = exchange.body if isinstance(exchange.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    if exchange.status != 400 or not isinstance(error, dict):
        return None
    code, named, message = str(error.get("code") or ""), error.get("param"), str(error.get("message") or "")
    if "unsupported" not in code and "not supported" not in message.lower():
        return None
    if named != param and param not in message:
        return None
    return message or code


class ParameterRules:
    """Per model: the parameters it rejects, declared or learned (one probe each, cached)."""

    def __init__(self, declared: Mapping[str, tuple[str, ...]], send: Callable[[dict[str, Any]], Exchange],
                 report: Callable[[Exchange, Finding], None]) -> None:
        self._rejected = {model: set(params) for model, params in declared.items()}
        self._declared = {model: frozenset(params) for model, params in declared.items()}
        self._probed: set[tuple[str, str]] = set()
        self._probing = threading.Lock()  # tests running at once (--concurrency) wait for the one probe
        self._send = send
        self._report = report

    def accepts(self, model: str, param: str) -> bool:
        """Whether ``param`` may be sent to ``model`` (probing the target once when it is not declared)."""
        if param in self._declared.get(model, ()):
            return False
        if param in PROBED:
            with self._probing:
                if (model, param) not in self._probed:
                    self._probed.add((model, param))
                    self._probe(model, param)
        return param not in self._rejected.get(model, set())

    def rejected(self, model: str) -> frozenset[str]:
        """Every probed or declared parameter ``model`` rejects (probing what is not known yet)."""
        return frozenset(p for p in (*PROBED, *self._declared.get(model, ())) if not self.accepts(model, p))

    def reason(self, model: str, param: str) -> str:
        """The skip message of a test that needs ``param`` sent to ``model``, which rejects it."""
        how = "declared in targets.yaml" if param in self._declared.get(model, ()) else "the target said so"
        return f"unsupported (model {model} rejects {param}: {how})"

    def _probe(self, model: str, param: str) -> None:
        exchange = self._send({"model": model, "input": "Say ok.", param: PROBED[param],
                               "max_output_tokens": 16})
        said = rejection(exchange, param)
        if said is None:
            return
        self._rejected.setdefault(model, set()).add(param)
        self._report(exchange, scenario_finding(
            MODEL_REJECTS_PARAMETER,
            f"model {model} rejects {param} ({exchange.status}: {said!r}); respcheck does not send "
            f"{param} to it again — declare it in targets.yaml to save the probe: "
            f"unsupported_parameters: {{{model}: [{param}]}}",
            exchange.id,
            at=f"/request/body/{param}",
        ))
