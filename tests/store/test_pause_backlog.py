"""A paused function's due backlog is parked out of the range every lease reads: other
functions' leases cost what they did without it, and a resume makes it due in its order."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from hub.status import Status
from hub.store.base import InvocationStore
from hub.store.postgres import PostgresStore
from hub.store.sqlite import SqliteStore
from tests.servers.postgres import Database
from tests.store.test_operator import FAR, item

BACKLOG = 50_000


async def _lease_ms(store: InvocationStore, times: int) -> float:
    """The fastest of `times` leases of one invocation each, in milliseconds."""
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        leased, _ = await store.lease("me", time.time(), 1, FAR)
        best = min(best, time.perf_counter() - started)
        assert [inv.function for inv in leased] == ["free"]
    return best * 1000


async def test_a_paused_backlog_does_not_slow_other_functions_leases(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "hub.db", synchronous="off")
    await store.open()
    try:
        await store.submit([item("free") for _ in range(20)])
        baseline = await _lease_ms(store, 20)
        await store.pause("function", "held")
        for _ in range(0, BACKLOG, 5000):  # due before the free function's next work
            await store.submit([item("held") for _ in range(5000)])
        await store.submit([item("free") for _ in range(40)])
        # Each lease reads past what is paused at most once; then the backlog is out of reach.
        for _ in range(20):
            await store.lease("me", time.time(), 1, FAR)
        with_backlog = await _lease_ms(store, 20)
        assert with_backlog < 4 * baseline + 2, (baseline, with_backlog)
    finally:
        await store.close()


async def test_a_parked_backlog_is_kept_and_runs_in_order_on_resume(
    store: InvocationStore,
) -> None:
    await store.pause("function", "held")
    held = [(await store.submit([item("held")]))[0].id for _ in range(5)]
    [free] = await store.submit([item("free")])
    leased, _ = await store.lease("me", time.time(), 100, FAR)
    assert [inv.id for inv in leased] == [free.id]
    leased, _ = await store.lease("me", time.time(), 100, FAR)
    assert leased == []
    for inv_id in held:
        kept = await store.get(inv_id)
        assert kept is not None and kept.status is Status.QUEUED

    assert await store.resume("function", "held") is True
    leased, _ = await store.lease("me", time.time(), 100, FAR)
    assert [inv.id for inv in leased] == held


@pytest.mark.postgres
async def test_two_daemons_park_a_backlog_once_and_a_resume_frees_all_of_it(
    postgres_database: Database,
) -> None:
    stores = [PostgresStore(postgres_database.url, dedup_window=3600) for _ in range(2)]
    for store in stores:
        await store.open()
    leased: set[str] = set()
    resumed = asyncio.Event()

    async def lease_until_resumed_and_drained(store: PostgresStore, owner: str) -> None:
        # Both lease at once: each parks what it reads past, the same rows at the same time.
        while not (resumed.is_set() and len(leased) == 12):
            taken, _ = await store.lease(owner, time.time(), 64, FAR)
            leased.update(inv.id for inv in taken)
            await asyncio.sleep(0.005)

    try:
        first, second = stores
        await first.pause("function", "held")
        held = [(await stores[n % 2].submit([item("held")]))[0].id for n in range(12)]
        async with asyncio.timeout(30):
            leasing = [
                asyncio.create_task(lease_until_resumed_and_drained(store, owner))
                for store, owner in zip(stores, ("a", "b"), strict=True)
            ]
            await asyncio.sleep(0.3)
            assert leased == set()
            await second.resume("function", "held")
            resumed.set()
            await asyncio.gather(*leasing)
        assert leased == set(held)
    finally:
        for store in stores:
            await store.close()
