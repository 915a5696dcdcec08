"""Client compatibility: the official ``openai`` SDK against the target, as relay users write it.

The question relay users ask is "will my SDK code work". Each test does one thing a user does
(create, stream to the final response, retrieve, delete, list input items, cancel); any exception
the SDK raises is a finding ``sdk.<operation>`` carrying the SDK's own message, and fails the test.
The wire-level checks run in the other areas; here only the SDK's verdict counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from respcheck.findings import Finding, Severity

openai = pytest.importorskip("openai")

pytestmark = [pytest.mark.area("sdk")]

CLAUSE = "openai-python {version}: client.responses.{operation}"


@pytest.fixture(scope="module")
def sdk(target) -> Iterator[Any]:
    """An OpenAI client pointed at the target, no retries (a retry would hide a failure); the key goes
    where the target takes it (an ``api-key`` header, a query parameter), as users configure the SDK."""
    key = target.api_key()
    headers, query = target.auth.placed(key)
    client = openai.OpenAI(
        base_url=target.resolved_base_url(),
        # the SDK refuses to start without a key; it sends it as Bearer only when the target takes it so
        api_key=key if key and target.auth.is_bearer else "sk-respcheck-no-key",
        default_headers={**dict(target.headers), **({} if target.auth.is_bearer else headers)},
        default_query=query or None,
        timeout=target.timeouts.total,
        max_retries=0,
    )
    yield client
    client.close()


@pytest.fixture
def sdk_call(respcheck_live) -> Callable[..., Any]:
    """``sdk_call("create", fn, *args)``: fn(*args); an SDK exception becomes a finding and a failure,
    unless it is the ``expect``-ed one (returned then: a 404 after a delete is what users want)."""

    def call(
        operation: str,
        fn: Callable[..., Any],
        *args: Any,
        expect: type[Exception] | None = None,
        **kwargs: Any,
    ) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # whatever the SDK raises is the finding: APIError, JSON, pydantic
            if expect is not None and isinstance(exc, expect):
                return exc
            sdk_failed(respcheck_live, operation, exc)

    return call


def sdk_failed(respcheck_live: Any, operation: str, exc: Exception) -> NoReturn:
    """Report what the SDK raised on ``operation`` as an ``sdk.<operation>`` finding, and fail the test."""
    message = f"{type(exc).__name__}: {exc}"
    respcheck_live.report([Finding(
        check_id=f"sdk.{operation}",
        severity=Severity.ERROR,
        message=message,
        location=f"/sdk/responses.{operation}",
        clause=CLAUSE.format(version=openai.__version__, operation=operation),
    )])
    pytest.fail(f"the openai SDK raised on responses.{operation}: {message}", pytrace=False)


def _created(sdk, sdk_call, models, **extra: Any) -> Any:
    return sdk_call("create", sdk.responses.create, model=models.text, input="Say hello.", **extra)


def test_sdk_create(sdk, sdk_call, models):
    response = _created(sdk, sdk_call, models)
    assert response.id and response.status in ("completed", "incomplete"), response
    assert response.output_text, f"{response.id}: the SDK's output_text is empty"


@pytest.mark.stream
def test_sdk_stream_to_the_final_response(sdk, sdk_call, models):
    def stream_to_the_end() -> Any:
        with sdk.responses.stream(model=models.text, input="Count from one to five in words.") as stream:
            deltas = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
            return deltas, stream.get_final_response()

    deltas, final = sdk_call("stream", stream_to_the_end)
    assert final.output_text == deltas, "the final response's text is not the deltas joined"


@pytest.mark.store
@pytest.mark.retrieve
def test_sdk_retrieve(sdk, sdk_call, models):
    created = _created(sdk, sdk_call, models, store=True)
    fetched = sdk_call("retrieve", sdk.responses.retrieve, created.id)
    assert fetched.id == created.id and fetched.output_text == created.output_text


@pytest.mark.store
@pytest.mark.delete
def test_sdk_delete(sdk, sdk_call, models):
    created = _created(sdk, sdk_call, models, store=True)
    sdk_call("delete", sdk.responses.delete, created.id)
    gone = sdk_call("retrieve", sdk.responses.retrieve, created.id, expect=openai.NotFoundError)
    assert isinstance(gone, openai.NotFoundError), f"{created.id} is still retrievable after its delete"


@pytest.mark.store
@pytest.mark.input_items
def test_sdk_input_items(sdk, sdk_call, models):
    created = _created(sdk, sdk_call, models, store=True)
    page = sdk_call("input_items", sdk.responses.input_items.list, created.id)
    texts = [part.text for item in page.data for part in getattr(item, "content", None) or []]
    assert "Say hello." in texts, f"input_items of {created.id}: {texts}"


@pytest.mark.background
@pytest.mark.cancel
@pytest.mark.serial  # under --concurrency: its cancel must reach the response while it runs
def test_sdk_cancel(sdk, sdk_call, models, respcheck_live):
    body = "Write a long story about a lighthouse keeper, at least three hundred words."
    created = sdk_call("create", sdk.responses.create, model=models.text, input=body, background=True)
    cancelled = sdk_call("cancel", sdk.responses.cancel, created.id, expect=openai.BadRequestError)
    if isinstance(cancelled, openai.BadRequestError):
        # A fast target may have finished the response before the cancel reached it: refusing that
        # cancel with a 4xx is the contract (test_background's test_cancel_of_finished_response_is_an_error)
        ended = sdk_call("retrieve", sdk.responses.retrieve, created.id)
        if ended.status not in ("completed", "failed", "incomplete"):
            sdk_failed(respcheck_live, "cancel", cancelled)  # refused while it ran
        return
    assert cancelled.id == created.id and cancelled.status in ("cancelled", "completed"), cancelled.status
