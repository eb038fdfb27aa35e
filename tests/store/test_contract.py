"""What every invocation store must do, whatever its backend."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.errors import InvalidStateError, NotFoundError
from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.status import Status
from hub.store.base import Checkpoint, InvocationStore, ListQuery, Routing
from tests.store.conftest import StoreFactory


def item(
    function: str = "f", key: str | None = None, delay: float = 0.0, data: object = 1
) -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function=function,
        event=Event(type="t", source="s", data=data),
        not_before=now + delay,
        deadline=now + delay + 3600,
        idempotency_key=key,
    )


async def test_submit_is_durable_across_reopen(store_factory: StoreFactory) -> None:
    store = store_factory()
    await store.open()
    subs = await store.submit([item(data=i) for i in range(50)])
    await store.close()
    reopened = store_factory()
    await reopened.open()
    try:
        for sub in subs:
            inv = await reopened.get(sub.id)
            assert inv is not None and inv.status is Status.QUEUED
    finally:
        await reopened.close()


async def test_concurrent_submits_share_commits(store: InvocationStore) -> None:
    results = await asyncio.gather(*(store.submit([item(data=i)]) for i in range(500)))
    ids = {r[0].id for r in results}
    assert len(ids) == 500
    assert (await store.counts()) == {"queued": 500}


async def test_dedup_returns_holder(store: InvocationStore) -> None:
    [a] = await store.submit([item(key="x")])
    [b, c] = await store.submit([item(key="x"), item(key="y")])
    assert a.created and not b.created and b.id == a.id and c.created


async def test_lease_respects_due_time_and_visibility_timeout(store: InvocationStore) -> None:
    [due] = await store.submit([item()])
    [later] = await store.submit([item(delay=60)])
    now = time.time()
    leased, next_due = await store.lease("a", now, 10, now + 0.2)
    assert [inv.id for inv in leased] == [due.id]
    assert next_due == pytest.approx(now + 0.2, abs=0.01)
    again, _ = await store.lease("b", now + 0.1, 10, now + 10)
    assert again == []  # still leased by "a"
    # Daemon "a" died: after the visibility timeout "b" gets it.
    taken, _ = await store.lease("b", now + 0.3, 10, now + 10)
    assert [inv.id for inv in taken] == [due.id]
    assert later.id not in [inv.id for inv in taken]


async def test_stale_lease_holder_cannot_finish(store: InvocationStore) -> None:
    await store.submit([item()])
    now = time.time()
    [inv], _ = await store.lease("a", now, 1, now + 0.1)
    [inv_b], _ = await store.lease("b", now + 0.2, 1, now + 10)
    done = await store.finalize(inv, "a", now, Status.SUCCEEDED, "Success", None, None, Routing())
    assert not done
    await store.start(inv_b, "b", now, now + 10)
    assert await store.finalize(
        inv_b, "b", now, Status.SUCCEEDED, "Success", None, b'"r"', Routing()
    )
    final = await store.get(inv.id)
    assert final is not None and final.status is Status.SUCCEEDED and final.response == "r"


async def test_retry_then_finish(store: InvocationStore) -> None:
    await store.submit([item()])
    now = time.time()
    [inv], _ = await store.lease("a", now, 1, now + 10)
    await store.start(inv, "a", now, now + 10)
    assert await store.retry(inv, "a", now, now + 0.05, "boom")
    rec = await store.get(inv.id)
    assert rec is not None and rec.status is Status.RETRYING and rec.last_error == "boom"
    [inv2], _ = await store.lease("a", now + 0.1, 1, now + 10)
    assert inv2.id == inv.id and inv2.attempts == 1


async def test_stop_and_redrive(store: InvocationStore) -> None:
    [sub] = await store.submit([item(delay=30)])
    now = time.time()
    assert await store.stop(sub.id, now, Routing()) is Status.QUEUED
    with pytest.raises(InvalidStateError):
        await store.stop(sub.id, now, Routing())
    await store.redrive(sub.id, now, now + 60)
    inv = await store.get(sub.id)
    assert inv is not None and inv.status is Status.QUEUED and inv.attempts == 0
    with pytest.raises(NotFoundError):
        await store.redrive("nope", now, now)


async def test_release_returns_leases(store: InvocationStore) -> None:
    await store.submit([item(), item()])
    now = time.time()
    leased, _ = await store.lease("a", now, 10, now + 60)
    await store.start(leased[0], "a", now, now + 60)
    assert await store.release("a") == 2
    back, _ = await store.lease("b", time.time(), 10, now + 60)
    assert len(back) == 2
    statuses = {(await store.get(inv.id)).status for inv in back}  # type: ignore[union-attr]
    assert statuses == {Status.QUEUED, Status.RETRYING}


async def test_query_pages_newest_first(store: InvocationStore) -> None:
    subs = []
    for i in range(25):
        subs += await store.submit([item(function="f" if i % 2 else "g", data=i)])
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.query(ListQuery(function="f", limit=4, cursor=cursor))
        seen += [inv.id for inv in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = [s.id for i, s in enumerate(subs) if i % 2]
    assert seen == sorted(expected, reverse=True)
    page = await store.query(ListQuery(status=Status.SUCCEEDED))
    assert page.items == [] and page.next_cursor is None


async def test_a_final_status_pages_newest_first_across_its_conditions(
    store: InvocationStore,
) -> None:
    # failed has two conditions, each walked on its own index range and merged per page.
    conditions = ["RetriesExhausted", "NonRetryableError", "Success", "EventAgeExceeded"]
    subs = await store.submit([item(function="fg"[i % 2], data=i) for i in range(24)])
    now = time.time()
    leased, _ = await store.lease("a", now, 24, now + 60)
    by_id = {inv.id: inv for inv in leased}
    for n, sub in enumerate(subs):
        condition = conditions[n // 2 % 4]
        status = {"Success": Status.SUCCEEDED, "EventAgeExceeded": Status.EXPIRED}.get(
            condition, Status.FAILED
        )
        await store.finalize(by_id[sub.id], "a", now, status, condition, None, None, Routing())
    for function in (None, "f"):
        seen: list[str] = []
        cursor = None
        while True:
            query = ListQuery(function=function, status=Status.FAILED, limit=2, cursor=cursor)
            page = await store.query(query)
            seen += [inv.id for inv in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        expected = [
            s.id for n, s in enumerate(subs) if n // 2 % 4 < 2 and (function is None or n % 2 == 0)
        ]
        assert seen == sorted(expected, reverse=True)
    expired = await store.query(ListQuery(status=Status.EXPIRED, limit=100))
    assert len(expired.items) == 6 and expired.next_cursor is None
    # An active status pages through the active rows alone.
    queued = await store.submit([item(function="f", data=n) for n in range(3)])
    page = await store.query(ListQuery(status=Status.QUEUED, limit=2))
    assert [inv.id for inv in page.items] == [queued[2].id, queued[1].id]
    page = await store.query(ListQuery(status=Status.QUEUED, limit=2, cursor=page.next_cursor))
    assert [inv.id for inv in page.items] == [queued[0].id] and page.next_cursor is None
    assert (await store.query(ListQuery(status=Status.RUNNING))).items == []


async def test_purge_removes_only_old_finished(store: InvocationStore) -> None:
    [old, active] = await store.submit([item(), item(key="k")])
    now = time.time()
    await store.stop(old.id, now, Routing())
    assert await store.purge(now + 10, retention=60) == 0
    assert await store.purge(now + 120, retention=60) == 1
    assert await store.get(old.id) is None
    assert await store.get(active.id) is not None


async def test_a_source_lease_has_one_holder_until_it_expires_or_is_released(
    store: InvocationStore,
) -> None:
    now = time.time()
    assert await store.claim_source("trigger:t", "a", now, now + 30) == "a"
    assert await store.claim_source("trigger:t", "b", now + 1, now + 31) == "a"
    # The holder renews; others keep being refused while it does.
    assert await store.claim_source("trigger:t", "a", now + 10, now + 40) == "a"
    assert await store.claim_source("trigger:t", "b", now + 35, now + 65) == "a"
    # Not renewed in time: the next claimant takes it, and the old holder cannot renew.
    assert await store.claim_source("trigger:t", "b", now + 41, now + 71) == "b"
    assert await store.claim_source("trigger:t", "a", now + 42, now + 72) == "b"
    # Another source's lease is separate.
    assert await store.claim_source("trigger:u", "a", now + 42, now + 72) == "a"
    # Release by a non-holder changes nothing; by the holder it frees the lease at once.
    await store.release_source("trigger:t", "a")
    assert await store.claim_source("trigger:t", "c", now + 43, now + 73) == "b"
    await store.release_source("trigger:t", "b")
    assert await store.claim_source("trigger:t", "c", now + 44, now + 74) == "c"


async def test_racing_claims_on_a_free_lease_have_one_winner(store: InvocationStore) -> None:
    now = time.time()
    owners = [f"daemon-{n}" for n in range(8)]
    holders = await asyncio.gather(
        *(store.claim_source("trigger:race", owner, now, now + 30) for owner in owners)
    )
    assert len(set(holders)) == 1
    assert holders[0] in owners


async def test_checkpoint_commits_with_submit(store: InvocationStore) -> None:
    assert await store.get_checkpoint("file:/var/log/x") is None
    await store.submit([item()], checkpoint=Checkpoint("file:/var/log/x", "inode:42:1024"))
    assert await store.get_checkpoint("file:/var/log/x") == "inode:42:1024"
    await store.set_checkpoint(Checkpoint("file:/var/log/x", "inode:42:2048"))
    assert await store.get_checkpoint("file:/var/log/x") == "inode:42:2048"


async def test_lease_takes_only_the_head_of_each_ordering_key(store: InvocationStore) -> None:
    items = [item(data=i) for i in range(4)]
    for i, it in enumerate(items):
        it.ordering_key = "k" if i < 3 else None
    await store.submit(items)
    now = time.time()
    leased, _ = await store.lease("a", now, 10, now + 60)
    assert sorted(inv.id for inv in leased) == sorted([items[0].id, items[3].id])
    head = next(inv for inv in leased if inv.id == items[0].id)
    await store.start(head, "a", now, now + 60)
    assert (await store.lease("a", now, 10, now + 60))[0] == []  # still held back
    assert await store.finalize(head, "a", now, Status.SUCCEEDED, "Success", None, None, Routing())
    [second], _ = await store.lease("a", time.time(), 10, now + 60)
    assert second.id == items[1].id and second.ordering_key == "k"


@pytest.mark.parametrize("start_written_first", [False, True])
async def test_an_attempt_records_its_start_and_outcome_alike_however_they_are_committed(
    store: InvocationStore, start_written_first: bool
) -> None:
    [sub] = await store.submit([item()])
    now = time.time()
    [inv], _ = await store.lease("a", now, 1, now + 60)
    await store.start(inv, "a", now + 1, now + 60)
    if start_written_first:
        # A write the caller awaits commits everything queued before it: the start too.
        await store.lease("a", now + 1, 1, now + 60)
    done = await store.finalize(
        inv, "a", now + 2, Status.SUCCEEDED, "Success", None, b'"ok"', Routing()
    )
    assert done
    record = await store.get(sub.id)
    assert record is not None
    assert (record.status, record.attempts, record.invoke_count) == (Status.SUCCEEDED, 1, 1)
    assert record.started_at == pytest.approx(now + 1)
    assert record.finished_at == pytest.approx(now + 2)
    assert [(t.status, t.detail) for t in record.history] == [
        ("queued", None),
        ("running", "attempt 1"),
        ("succeeded", "Success"),
    ]
    assert [t.at for t in record.history][1:] == pytest.approx([now + 1, now + 2])


async def test_an_outcome_for_a_lost_lease_writes_neither_start_nor_outcome(
    store: InvocationStore,
) -> None:
    [sub] = await store.submit([item()])
    now = time.time()
    [inv], _ = await store.lease("a", now, 1, now + 0.1)
    [_], _ = await store.lease("b", now + 0.2, 1, now + 60)  # "a" lost it
    await store.start(inv, "a", now + 0.3, now + 60)
    assert not await store.finalize(
        inv, "a", now + 0.4, Status.SUCCEEDED, "Success", None, None, Routing()
    )
    record = await store.get(sub.id)
    assert record is not None and record.status is Status.QUEUED and record.attempts == 0
