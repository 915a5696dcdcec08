"""Lifecycle: create (stored) → retrieve → input_items (paged) → delete → everything 404."""

from __future__ import annotations

import pytest

from respcheck.scenario import final

pytestmark = [pytest.mark.area("lifecycle"), pytest.mark.store, pytest.mark.retrieve]

STABLE_FIELDS = (
    "id",
    "object",
    "created_at",
    "status",
    "model",
    "output",
    "usage",
    "instructions",
    "metadata",
)


def _stored(client, models, conforms, **extra):
    body = {"model": models.text, "input": "Remember the number 42.", "store": True, **extra}
    return final(conforms(client.create(body)))


def test_retrieve_equals_created(client, models, conforms):
    created = _stored(client, models, conforms, metadata={"k": "v"})
    fetched = conforms(client.retrieve(created["id"]))
    assert fetched.status == 200
    for field in STABLE_FIELDS:
        assert fetched.body.get(field) == created.get(field), f"retrieve changed {field}"


@pytest.mark.stream
def test_streamed_response_is_retrievable(client, models, conforms):
    created = final(
        conforms(client.create({"model": models.text, "input": "Say hi.", "store": True, "stream": True}))
    )
    fetched = conforms(client.retrieve(created["id"]))
    assert fetched.status == 200
    assert fetched.body["output"] == created["output"]


@pytest.mark.input_items
def test_input_items_list_the_input(client, models, conforms):
    created = _stored(client, models, conforms)
    listed = conforms(client.input_items(created["id"]))
    assert listed.status == 200
    texts = [
        part.get("text")
        for item in listed.body["data"]
        for part in (item.get("content") or [])
        if isinstance(part, dict)
    ]
    assert "Remember the number 42." in texts


@pytest.mark.input_items
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_input_items_paging(client, models, conforms, order):
    body = {
        "model": models.text,
        "store": True,
        "input": [{"role": "user", "content": f"Message {n}."} for n in range(3)],
    }
    created = final(conforms(client.create(body)))
    seen, after = [], None
    for _ in range(5):  # bounded: 3 items at limit=1 need 3 pages
        page = conforms(client.input_items(created["id"], limit=1, order=order, after=after))
        assert page.status == 200
        assert len(page.body["data"]) <= 1
        seen.extend(item["id"] for item in page.body["data"])
        if not page.body["has_more"]:
            break
        after = page.body["last_id"]
    assert len(seen) == 3 and len(set(seen)) == 3


@pytest.mark.delete
def test_delete_then_everything_is_404(client, models, conforms):
    created = _stored(client, models, conforms)
    deleted = conforms(client.delete(created["id"]))
    assert deleted.status == 200
    assert deleted.body == {"id": created["id"], "object": "response.deleted", "deleted": True}
    for after in (
        client.retrieve(created["id"]),
        client.delete(created["id"]),
        client.input_items(created["id"]),
    ):
        conforms(after)
        assert after.status == 404, f"{after.request.method} {after.request.path} after delete"


def test_store_false_is_not_retrievable(client, models, conforms):
    created = final(conforms(client.create({"model": models.text, "input": "Say hi.", "store": False})))
    fetched = conforms(client.retrieve(created["id"]))
    assert fetched.status == 404


@pytest.mark.parametrize("endpoint", ["retrieve", "delete", "input_items", "cancel"])
def test_unknown_id_is_404_with_error_shape(client, conforms, endpoint):
    ex = conforms(getattr(client, endpoint)("resp_" + "0" * 48))
    assert ex.status == 404
    assert isinstance(ex.body, dict) and isinstance(ex.body.get("error"), dict)
    assert ex.body["error"].get("message")


@pytest.mark.parametrize("endpoint", ["retrieve", "delete", "input_items", "cancel"])
def test_malformed_id_is_a_4xx_not_a_5xx(client, conforms, endpoint):
    ex = conforms(getattr(client, endpoint)("not-a-response-id"))
    assert ex.status is not None and 400 <= ex.status < 500
    assert isinstance(ex.body, dict) and isinstance(ex.body.get("error"), dict)


@pytest.mark.input_items
def test_input_items_of_a_chain_list_only_that_turn(client, models, conforms):
    first = _stored(client, models, conforms)
    body = {
        "model": models.text,
        "input": "And now the number 7.",
        "store": True,
        "previous_response_id": first["id"],
    }
    second = final(conforms(client.create(body)))
    listed = conforms(client.input_items(second["id"], order="asc"))
    texts = [part.get("text") for item in listed.body["data"] for part in item.get("content") or []]
    assert "And now the number 7." in texts


@pytest.mark.input_items
def test_input_items_limit_bounds(client, models, conforms):
    created = _stored(client, models, conforms)
    for limit in (0, 101):
        ex = conforms(client.input_items(created["id"], limit=limit))
        assert ex.status is not None and 400 <= ex.status < 500, f"limit={limit} answered {ex.status}"
