"""Lifecycle: create (stored) → retrieve → input_items (paged) → delete → everything 404.

What a sequence shows is judged by the sequence checks (``lifecycle.retrieve_matches_create``,
``lifecycle.deleted``, ``lifecycle.store_false``); the scenarios add only what their intent knows.
"""

from __future__ import annotations

import pytest

from respcheck.scenario import ANSWERED, final

pytestmark = [pytest.mark.area("lifecycle"), pytest.mark.store, pytest.mark.retrieve]

INPUT_ITEMS = "lifecycle.input_items"
UNKNOWN_ID = "lifecycle.unknown_id"
MALFORMED_ID = "lifecycle.malformed_id"


def _stored(client, models, conforms, **extra):
    body = {"model": models.text, "input": "Remember the number 42.", "store": True, **extra}
    return final(conforms(client.create(body)))


def _answered(expect, ex, what):
    """The scenario reads the answer's body next: a non-200 answer ends it (with its finding)."""
    expect(ANSWERED, ex.status == 200, f"{what} answered {ex.status}", ex, "/response/status", stop=True)


def _texts(listed):
    return [part.get("text") for item in listed.body.get("data") or []
            for part in (item.get("content") or []) if isinstance(part, dict)]


@pytest.mark.scenario("retrieve_equals_created")
def test_retrieve_equals_created(client, models, conforms, expect):
    created = _stored(client, models, conforms, metadata={"k": "v"})
    _answered(expect, conforms(client.retrieve(created["id"])), "the retrieve of a stored response")


@pytest.mark.stream
def test_streamed_response_is_retrievable(client, models, conforms, expect):
    created = final(
        conforms(client.create({"model": models.text, "input": "Say hi.", "store": True, "stream": True}))
    )
    fetched = conforms(client.retrieve(created["id"]))
    _answered(expect, fetched, "the retrieve of a streamed, stored response")


@pytest.mark.input_items
@pytest.mark.scenario("input_items")
def test_input_items_list_the_input(client, models, conforms, expect):
    created = _stored(client, models, conforms)
    listed = conforms(client.input_items(created["id"]))
    _answered(expect, listed, "input_items of a stored response")
    expect(INPUT_ITEMS, "Remember the number 42." in _texts(listed),
           f"input_items lists {_texts(listed)}, not the input 'Remember the number 42.'", listed,
           "/response/body/data")


@pytest.mark.input_items
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_input_items_paging(client, models, conforms, expect, order):
    body = {
        "model": models.text,
        "store": True,
        "input": [{"role": "user", "content": f"Message {n}."} for n in range(3)],
    }
    created = final(conforms(client.create(body)))
    seen, after, page = [], None, None
    for _ in range(5):  # bounded: 3 items at limit=1 need 3 pages
        page = conforms(client.input_items(created["id"], limit=1, order=order, after=after))
        _answered(expect, page, "a page of input_items")
        data = page.body.get("data") or []
        expect(INPUT_ITEMS, len(data) <= 1, f"limit=1 answered {len(data)} items", page,
               "/response/body/data")
        seen.extend(item.get("id") for item in data)
        if not page.body.get("has_more"):
            break
        after = page.body.get("last_id")
    expect(INPUT_ITEMS, len(seen) == 3 and len(set(seen)) == 3,
           f"paging 3 input items one by one ({order}) listed {seen}", page)


@pytest.mark.delete
@pytest.mark.scenario("delete_then_retrieve")
def test_delete_then_everything_is_404(client, models, conforms, expect):
    created = _stored(client, models, conforms)
    _answered(expect, conforms(client.delete(created["id"])), "the delete of a stored response")
    # lifecycle.deleted judges each call against the delete: all 404
    conforms(client.retrieve(created["id"]))
    conforms(client.delete(created["id"]))
    conforms(client.input_items(created["id"]))


@pytest.mark.scenario("store_false")
def test_store_false_is_not_retrievable(client, models, conforms):
    created = final(conforms(client.create({"model": models.text, "input": "Say hi.", "store": False})))
    conforms(client.retrieve(created["id"]))  # lifecycle.store_false judges it against the create


def _error_object(ex):
    error = ex.body.get("error") if isinstance(ex.body, dict) else None
    return isinstance(error, dict) and bool(error.get("message"))


@pytest.mark.parametrize("endpoint", ["retrieve", "delete", "input_items", "cancel"])
@pytest.mark.scenario("unknown_id_retrieve", endpoint="retrieve")
def test_unknown_id_is_404_with_error_shape(client, conforms, expect, endpoint):
    ex = conforms(getattr(client, endpoint)("resp_" + "0" * 48))
    expect(UNKNOWN_ID, ex.status == 404 and bool(_error_object(ex)),
           f"{endpoint} of an id that never existed answered {ex.status}"
           + ("" if _error_object(ex) else " without an error object with a message"), ex, "/response/status")


@pytest.mark.parametrize("endpoint", ["retrieve", "delete", "input_items", "cancel"])
@pytest.mark.scenario("malformed_id_retrieve", endpoint="retrieve")
def test_malformed_id_is_a_4xx_not_a_5xx(client, conforms, expect, endpoint):
    ex = conforms(getattr(client, endpoint)("not-a-response-id"))
    expect(MALFORMED_ID, ex.status is not None and 400 <= ex.status < 500 and bool(_error_object(ex)),
           f"{endpoint} of the malformed id 'not-a-response-id' answered {ex.status}"
           + ("" if _error_object(ex) else " without an error object"), ex, "/response/status")


@pytest.mark.input_items
def test_input_items_of_a_chain_list_only_that_turn(client, models, conforms, expect):
    first = _stored(client, models, conforms)
    body = {
        "model": models.text,
        "input": "And now the number 7.",
        "store": True,
        "previous_response_id": first["id"],
    }
    second = final(conforms(client.create(body)))
    listed = conforms(client.input_items(second["id"], order="asc"))
    _answered(expect, listed, "input_items of the second turn")
    expect(INPUT_ITEMS, "And now the number 7." in _texts(listed),
           f"input_items of the second turn lists {_texts(listed)}, not its input", listed,
           "/response/body/data")


@pytest.mark.input_items
def test_input_items_limit_bounds(client, models, conforms, expect):
    created = _stored(client, models, conforms)
    for limit in (0, 101):
        ex = conforms(client.input_items(created["id"], limit=limit))
        expect(INPUT_ITEMS, ex.status is not None and 400 <= ex.status < 500,
               f"input_items with limit={limit} (out of 1..100) answered {ex.status}", ex, "/response/status")
