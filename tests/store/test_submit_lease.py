"""Leasing at submit (hub/store/submit_lease.py): a submit leases what may start at once into
the room it is offered, and only what the lease itself would take at once."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from hub.invocation import Invocation
from hub.status import Status
from hub.store.base import InvocationStore, Routing
from hub.store.sqlite import SqliteStore
from hub.store.submit_lease import SubmitLease
from tests.store.test_contract import item
from tests.waiting import until


class Room:
    """A leaser with a fixed room, keeping what the submits leased (the dispatcher's part)."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.leased: list[Invocation] = []
        self.held = 0

    def offer(self, count: int) -> SubmitLease | None:
        take = min(count, self.room - self.held)
        if take <= 0:
            return None
        self.held += take
        return SubmitLease("me", take, time.time() + 60)

    def settle(self, lease: SubmitLease, committed: bool) -> None:
        self.held -= lease.limit
        if committed:
            self.leased += lease.leased
            self.room -= len(lease.leased)


async def test_a_submit_leases_what_may_start_now_into_its_room(store: InvocationStore) -> None:
    room = Room(3)
    store.lease_at_submit(room)
    now_items = [item(data=i) for i in range(5)]
    deferred = item(delay=3600)
    ordered = item()
    ordered.ordering_key = "k"
    await store.submit([*now_items, deferred, ordered])
    assert [inv.id for inv in room.leased] == [i.id for i in now_items[:3]]
    assert all(inv.lease_owner == "me" for inv in room.leased)
    assert room.held == 0
    # The rest is the dispatcher's: the leased ones are not leased again.
    later = time.time() + 1
    leased, _ = await store.lease("other", later, 100, later + 60)
    assert {inv.id for inv in leased} == {now_items[3].id, now_items[4].id, ordered.id}
    # And the leased ones run as leased ones do.
    first = room.leased[0]
    await store.start(first, "me", later, later + 60)
    assert await store.finalize(
        first, "me", later, Status.SUCCEEDED, "Success", None, None, Routing()
    )


async def test_nothing_older_is_overtaken(store: InvocationStore) -> None:
    await store.submit([item(data="older")])  # due, and nobody has leased it
    room = Room(10)
    store.lease_at_submit(room)
    newer = item(data="newer")
    await store.submit([newer])
    assert room.leased == []
    now = time.time() + 1
    leased, _ = await store.lease("other", now, 100, now + 60)
    assert len(leased) == 2


async def test_a_paused_function_is_not_leased_at_submit(store: InvocationStore) -> None:
    await store.pause("function", "held")
    room = Room(10)
    store.lease_at_submit(room)
    paused, running = item(function="held"), item(function="free")
    await store.submit([paused, running])
    assert [inv.id for inv in room.leased] == [running.id]


async def test_a_duplicate_is_not_leased(store: InvocationStore) -> None:
    room = Room(10)
    store.lease_at_submit(room)
    [first] = await store.submit([item(key="same")])
    [again] = await store.submit([item(key="same")])
    assert again.id == first.id and not again.created
    assert [inv.id for inv in room.leased] == [first.id]


class SlowSyncStore(SqliteStore):
    """A SQLite store whose fsync waits until the test lets it go."""

    def __init__(self, path: Path) -> None:
        self.go = threading.Event()
        super().__init__(path, dedup_window=3600)

    def _sync_wal(self) -> None:
        self.go.wait(10)
        super()._sync_wal()


async def test_what_a_submit_leased_is_handed_over_at_its_commit(tmp_path: Path) -> None:
    # As early as the dispatcher's own lease could read the rows: before the submit's fsync,
    # which the submit itself still waits for.
    store = SlowSyncStore(tmp_path / "hub.db")
    await store.open()
    try:
        room = Room(10)
        store.lease_at_submit(room)
        submit = asyncio.create_task(store.submit([item()]))
        await until(lambda: len(room.leased) == 1)
        assert not submit.done()  # not answered before its fsync
        store.go.set()
        [done] = await asyncio.wait_for(submit, 10)
        assert done.id == room.leased[0].id
    finally:
        store.go.set()
        await store.close()
