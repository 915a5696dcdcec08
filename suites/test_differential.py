"""Differential: a relay whose upstream is respcheck's reference server (``upstream: reference`` in
targets.yaml, the upstream's URL in $RESPCHECK_UPSTREAM_URL) is sent each request, and the upstream the
same request straight; text and items must be preserved, usage passed through or honestly recounted,
ids must round-trip and the event skeleton must be the upstream's (respcheck.differential)."""

from __future__ import annotations

import os

import pytest

from respcheck import differential
from respcheck.client import ResponsesClient
from respcheck.config import Target
from respcheck.scenario import JSON_AND_SSE, WEATHER_TOOL

pytestmark = [pytest.mark.area("differential")]

UPSTREAM_URL_ENV = "RESPCHECK_UPSTREAM_URL"
REQUESTS = {
    "text": {"input": "Count from one to five in words."},
    "tool": {"input": "What's the weather like in Paris?", "tools": [WEATHER_TOOL]},
}


@pytest.fixture(scope="module")
def upstream(target, respcheck_live):
    """A client straight to the upstream (its exchanges go to the report beside the relay's)."""
    if target.upstream != "reference":
        pytest.skip(f"unsupported (target {target.name} declares no upstream: reference)")
    url = os.environ.get(UPSTREAM_URL_ENV)
    if not url:
        pytest.fail(f"{target.name} declares upstream: reference but ${UPSTREAM_URL_ENV} is not set", False)
    direct = Target(name=f"{target.name}-upstream", base_url=url, headers={"Authorization": "Bearer sk-up"})
    client = ResponsesClient(direct, recorder=respcheck_live.recorder)
    yield client
    client.close()


def _judged(live, findings):
    live.report(findings)
    assert not findings, "\n".join(f"{f.check_id}: {f.message}" for f in findings)


def upstream_model(model: str) -> str:
    """The upstream's name for the relay's model: relays route by a prefix ("bridge/gpt-4.1-mini")."""
    return model.rsplit("/", 1)[-1]


@JSON_AND_SSE
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_same_answer_as_the_upstream(respcheck_live, client, upstream, models, stream, kind):
    body = {"model": models.text, "stream": stream, **REQUESTS[kind]}
    straight = {**body, "model": upstream_model(models.text)}
    _judged(respcheck_live, differential.compare(client.create(body), upstream.create(straight)))


@pytest.mark.store
@pytest.mark.retrieve
def test_ids_round_trip(respcheck_live, client, upstream, models, target):
    created = client.create({"model": models.text, "input": "Say hello.", "store": True})
    response_id = (created.body or {}).get("id") if isinstance(created.body, dict) else None
    if not response_id:
        pytest.fail(f"create answered {created.status} with no id", False)
    # a pass-through relay hands back the upstream's own ids; a bridge mints its own
    upstream_has_it = upstream.retrieve(response_id) if "passthrough" in target.tags else None
    retrieved = client.retrieve(response_id)
    _judged(respcheck_live, differential.id_round_trip(created, retrieved, upstream_has_it))
