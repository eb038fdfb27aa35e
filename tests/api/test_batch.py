"""POST /v1/functions/{name}/invocations with a CloudEvents batch: one commit per request,
queued whole or not at all, each event with its own id, key and answer item."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from hub.batchsize import MAX_BATCH_EVENTS
from hub.store.base import ListQuery
from tests.api.conftest import MAX_BODY, Api
from tests.api.test_invoke import invoke, received

BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def event(n: int, **attributes: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"e-{n}", "source": "/orders", "type": "t", **attributes}


async def send(api: Api, events: Any, **headers: str) -> tuple[int, Any]:
    status, body, _ = await invoke(api, data=orjson.dumps(events), headers={**BATCH, **headers})
    return status, body


async def queued(api: Api) -> int:
    return len((await api.hub.query(ListQuery(limit=1000))).items)


async def test_a_batch_is_queued_in_one_commit_each_event_with_its_own_answer(api: Api) -> None:
    events = [
        event(1, data={"n": 1}),
        event(2, idempotencykey="order-2", data={"n": 2}),
        event(3, orderingkey="customer-7", subject="s"),
    ]
    status, body = await send(api, events)
    assert status == 202, body
    assert (body["queued"], body["duplicates"]) == (3, 0)
    assert [item["event_id"] for item in body["items"]] == ["e-1", "e-2", "e-3"]
    assert {item["status"] for item in body["items"]} == {"queued"}
    ids = [item["id"] for item in body["items"]]
    assert len(set(ids)) == 3
    invocations = [await api.hub.get(i) for i in ids]
    # One submit of the whole request: one instant, one transaction.
    assert len({inv.created_at for inv in invocations}) == 1
    assert [inv.idempotency_key for inv in invocations] == [None, "order-2", None]
    assert [inv.ordering_key for inv in invocations] == [None, None, "customer-7"]
    for n, invocation_id in enumerate(ids, 1):
        seen = await received(api, invocation_id)
        assert (seen["id"], seen["source"]) == (f"e-{n}", "/orders")
    assert (await received(api, ids[0]))["data"] == {"n": 1}


async def test_one_invalid_event_refuses_the_whole_batch_naming_each(api: Api) -> None:
    events = [
        event(1),
        {"id": "e-2", "source": "/orders"},  # no type
        event(3),
        event(4, idempotencykey=" padded "),
        "not an object",
    ]
    status, body = await send(api, events)
    assert status == 400, body
    assert "3 of 5" in body["error"] and "nothing was queued" in body["error"]
    assert [(e["index"], e["event_id"]) for e in body["invalid"]] == [
        (1, "e-2"),
        (3, "e-4"),
        (4, None),
    ]
    assert "type" in body["invalid"][0]["error"]
    assert "idempotencykey" in body["invalid"][1]["error"]
    assert await queued(api) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[", "not valid JSON"),
        (b'{"id": "e", "source": "/s", "type": "t"}', "JSON array"),
        (b"[]", "empty"),
    ],
)
async def test_a_malformed_batch_is_400(api: Api, body: bytes, words: str) -> None:
    status, answer, _ = await invoke(api, data=body, headers=BATCH)
    assert status == 400 and words in answer["error"], answer
    assert await queued(api) == 0


async def test_a_batch_over_the_event_limit_is_413(api: Api) -> None:
    status, body = await send(api, [{"id": str(n)} for n in range(MAX_BATCH_EVENTS + 1)])
    assert status == 413, body
    assert body["limit"] == MAX_BATCH_EVENTS and str(MAX_BATCH_EVENTS + 1) in body["error"]


async def test_a_batch_over_the_body_limit_is_413(api: Api) -> None:
    big = [event(n, data="x" * 1000) for n in range(MAX_BODY // 1000 + 1)]
    status, body = await send(api, big)
    assert status == 413 and body["limit"] == MAX_BODY, body
    assert await queued(api) == 0


async def test_idempotency_keys_deduplicate_within_a_batch_and_across_batches(api: Api) -> None:
    events = [event(1, idempotencykey="k"), event(2, idempotencykey="k"), event(3)]
    status, first = await send(api, events)
    assert status == 202, first
    one, two, _ = first["items"]
    assert (one["status"], two["status"], two["id"]) == ("queued", "duplicate", one["id"])
    assert (first["queued"], first["duplicates"]) == (2, 1)
    # The sender retrying the batch: the keyed events answer their first invocation.
    status, again = await send(api, events)
    assert status == 202, again
    assert [i["status"] for i in again["items"]] == ["duplicate", "duplicate", "queued"]
    assert again["items"][0]["id"] == one["id"]
    assert await queued(api) == 3


async def test_repeated_event_ids_are_separate_invocations_as_single_events_are(
    api: Api,
) -> None:
    status, body = await send(api, [event(1, data=1), event(1, data=2)])
    assert status == 202, body
    first, second = (item["id"] for item in body["items"])
    assert first != second
    assert [(await received(api, i))["data"] for i in (first, second)] == [1, 2]


async def test_a_batch_refuses_the_per_request_idempotency_key(api: Api) -> None:
    status, body = await send(api, [event(1)], **{"Idempotency-Key": "k"})
    assert status == 400 and "idempotencykey" in body["error"], body
    assert await queued(api) == 0


async def test_the_delay_header_defers_every_event_of_the_batch(api: Api) -> None:
    status, body = await send(api, [event(1), event(2)], **{"X-Triggerhub-Delay": "60"})
    assert status == 202, body
    for item in body["items"]:
        inv = await api.hub.get(item["id"])
        assert inv.not_before - inv.created_at == pytest.approx(60, abs=1)
