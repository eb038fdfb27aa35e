"""The lease under flow control, on every backend: priority with aging, concurrency per key
with round-robin across keys, rate limits whose state is in the store."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from hub.events import Event
from hub.flow.columns import FlowColumns
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.status import Status
from hub.store.base import InvocationStore, Routing
from hub.store.flow_lease import AGING
from hub.store.sqlite import SqliteStore
from tests.store.conftest import StoreFactory


def item(
    flow: FlowColumns | None, *, at: float | None = None, data: object = None
) -> NewInvocation:
    due = time.time() if at is None else at
    return NewInvocation(
        id=new_id(),
        function="f",
        event=Event(type="t", source="s", data=data),
        not_before=due,
        deadline=due + 3600,
        flow=flow,
    )


def keyed(key: str, limit: int = 2) -> FlowColumns:
    return FlowColumns(priority=0, concurrency_key=key, concurrency_limit=limit)


def rated(key: str = "", limit: int = 2, period: float = 1.0, burst: int = 2) -> FlowColumns:
    return FlowColumns(priority=0, rate_key=key, rate_interval=period / limit, rate_burst=burst)


async def finish(store: InvocationStore, inv_id: str, owner: str, now: float) -> None:
    inv = await store.get(inv_id)
    assert inv is not None
    assert await store.finalize(inv, owner, now, Status.SUCCEEDED, "Success", None, None, Routing())


async def test_higher_priority_is_leased_first_plain_work_counts_as_zero(
    store: InvocationStore,
) -> None:
    now = time.time()
    [plain] = await store.submit([item(None, at=now - 1)])
    [low] = await store.submit([item(FlowColumns(priority=1), at=now - 1)])
    [high] = await store.submit([item(FlowColumns(priority=9), at=now)])
    leased, _ = await store.lease("a", now, 3, now + 60)
    assert [inv.id for inv in leased] == [high.id, low.id, plain.id]
    assert [inv.priority for inv in leased] == [9, 1, None]


async def test_waiting_raises_priority(store: InvocationStore) -> None:
    now = time.time()
    [old] = await store.submit([item(FlowColumns(priority=0), at=now - 9 * AGING - 1)])
    [fresh] = await store.submit([item(FlowColumns(priority=9), at=now)])
    [middle] = await store.submit([item(FlowColumns(priority=8), at=now - 2 * AGING)])
    leased, _ = await store.lease("a", now, 1, now + 60)
    # Aged to 9 and due first, it goes ahead of a fresh 9; an 8 aged twice is capped at 9 too.
    assert [inv.id for inv in leased] == [old.id]
    leased, _ = await store.lease("a", now, 2, now + 60)
    assert [inv.id for inv in leased] == [middle.id, fresh.id]


async def test_a_key_never_holds_more_than_its_limit(store: InvocationStore) -> None:
    now = time.time()
    await store.submit([item(keyed("a"), at=now - 5 + i / 100) for i in range(5)])
    first, _ = await store.lease("a", now, 10, now + 60)
    assert len(first) == 2
    none, _ = await store.lease("b", now, 10, now + 60)
    assert none == []  # another daemon sees the same limit
    await finish(store, first[0].id, "a", now)
    more, _ = await store.lease("b", now, 10, now + 60)
    assert len(more) == 1
    # A dead daemon's expired lease gives its slot back.
    after, _ = await store.lease("c", now + 61, 10, now + 200)
    assert len(after) == 2


async def test_keys_are_served_round_robin(store: InvocationStore) -> None:
    now = time.time()
    await store.submit([item(keyed("noisy", 5), at=now - 10 + i / 1000) for i in range(50)])
    quiet = await store.submit([item(keyed(f"q{n}", 5), at=now) for n in range(3)])
    leased, _ = await store.lease("a", now, 4, now + 60)
    keys = [(await store.get(inv.id)) for inv in leased]
    # One of the noisy key and one of each quiet key, though the noisy ones are older.
    assert {q.id for q in quiet} <= {inv.id for inv in leased}
    assert len([k for k in keys if k is not None and k.id not in {q.id for q in quiet}]) == 1


async def test_rate_limit_holds_work_back_then_lets_it_through_in_order(
    store: InvocationStore,
) -> None:
    now = time.time()
    subs = await store.submit([item(rated(), at=now - 1 + i / 1000) for i in range(5)])
    first, next_due = await store.lease("a", now, 10, now + 60)
    assert [inv.id for inv in first] == [s.id for s in subs[:2]]  # the burst
    assert not any(inv.throttled for inv in first)
    assert next_due is not None and next_due == pytest.approx(now + 0.5, abs=0.01)
    held, _ = await store.lease("b", now + 0.4, 10, now + 60)
    assert held == []
    third, _ = await store.lease("b", now + 0.5, 10, now + 60)
    assert [inv.id for inv in third] == [subs[2].id] and third[0].throttled


async def test_rate_limit_buckets_are_per_key(store: InvocationStore) -> None:
    now = time.time()
    await store.submit([item(rated("x", burst=1), at=now) for _ in range(3)])
    await store.submit([item(rated("y", burst=1), at=now) for _ in range(3)])
    leased, _ = await store.lease("a", now, 10, now + 60)
    assert len(leased) == 2


async def test_rate_state_outlives_the_store(store_factory: StoreFactory) -> None:
    now = time.time()
    store = store_factory()
    await store.open()
    await store.submit([item(rated(limit=1, period=30, burst=1), at=now) for _ in range(2)])
    first, _ = await store.lease("a", now, 10, now + 60)
    assert len(first) == 1
    await store.close()
    store = store_factory()
    await store.open()
    try:
        again, next_due = await store.lease("b", now + 1, 10, now + 60)
        assert again == [] and next_due == pytest.approx(now + 30, abs=0.01)
    finally:
        await store.close()


def test_an_older_store_gains_the_flow_columns(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE invocations (id TEXT PRIMARY KEY, function TEXT, status TEXT, "
        "event BLOB, attempts INTEGER, invoke_count INTEGER, created_at REAL, "
        "not_before REAL, deadline REAL, idempotency_key TEXT, started_at REAL, "
        "finished_at REAL, last_error TEXT, response BLOB, condition TEXT, "
        "destination_error TEXT, lease_owner TEXT, run_at REAL, ordering_key TEXT, "
        "history TEXT)"
    )
    conn.commit()
    conn.close()
    SqliteStore(path)._connect().close()
    SqliteStore(path)._connect().close()  # a second open finds them there
    names = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(invocations)")}
    assert {"priority", "flow_key", "flow_limit", "rate_key", "rate_interval"} <= names


async def test_a_redriven_invocation_is_leased_again_though_its_lane_went_idle(
    store: InvocationStore,
) -> None:
    now = time.time()
    [sub] = await store.submit([item(keyed("k"), at=now)])
    [inv], _ = await store.lease("a", now, 10, now + 60)
    await store.start(inv, "a", now, now + 60)
    assert await store.finalize(inv, "a", now, Status.FAILED, "Error", "boom", None, Routing())
    # Another lane's due work has the lease plan visit this empty lane and set it idle.
    [other] = await store.submit([item(keyed("other"), at=now)])
    taken, _ = await store.lease("a", now, 10, now + 60)
    assert [i.id for i in taken] == [other.id]
    await store.redrive(sub.id, now + 1, now + 3600)
    again, _ = await store.lease("a", now + 1, 10, now + 60)
    assert [i.id for i in again] == [sub.id]


async def test_a_paused_function_keeps_its_flow_controlled_work(store: InvocationStore) -> None:
    now = time.time()
    [sub] = await store.submit([item(keyed("k"), at=now)])
    await store.pause("function", "f")
    held, _ = await store.lease("a", now, 10, now + 60)
    assert held == []
    await store.resume("function", "f")
    leased, _ = await store.lease("a", now, 10, now + 60)
    assert [inv.id for inv in leased] == [sub.id]


async def test_a_lane_with_nothing_left_leaves_no_row(tmp_path: Path) -> None:
    """Keys come and go (a user, an order): the lanes of keys with no work left are deleted,
    not kept idle for ever, so the table holds only the keys with work."""
    store = SqliteStore(tmp_path / "hub.db")
    await store.open()
    try:
        now = time.time()
        await store.submit([item(keyed(f"user{n}"), at=now) for n in range(50)])
        done, _ = await store.lease("a", now, 100, now + 60)
        for inv in done:
            await finish(store, inv.id, "a", now)
        # The next lease plan visits the empty lanes.
        [later] = await store.submit([item(keyed("later"), at=now)])
        taken, _ = await store.lease("a", now, 100, now + 60)
        assert [inv.id for inv in taken] == [later.id]
        with sqlite3.connect(tmp_path / "hub.db") as conn:
            lanes = [row[0] for row in conn.execute("SELECT key FROM flow_lanes")]
        assert lanes == ["later"]
        # A key that comes back gets a lane again and is leased.
        [back] = await store.submit([item(keyed("user0"), at=now)])
        again, _ = await store.lease("a", now, 100, now + 60)
        assert [inv.id for inv in again] == [back.id]
    finally:
        await store.close()
