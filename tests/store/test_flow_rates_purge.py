"""The rate buckets are purged once full again, on every backend: keys come and go (a customer,
a tenant), and the table must hold those limited lately, not every key ever seen."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.flow.rates_purge import purge_rates_forever
from hub.store.base import InvocationStore
from hub.store.connection import Connection
from hub.store.sqlbase import SqlBase
from tests.store.test_flow_lease import item, rated
from tests.waiting import until

KEYS = 300
PERIOD = 10.0


async def buckets(store: InvocationStore) -> set[str]:
    assert isinstance(store, SqlBase)

    def keys(conn: Connection) -> set[str]:
        return {str(row[0]) for row in conn.execute("SELECT key FROM flow_rates").fetchall()}

    return await store._read(keys)


@pytest.mark.timeout(120)
async def test_full_buckets_are_purged_so_the_table_stays_bounded(store: InvocationStore) -> None:
    start = time.time()
    for wave in range(4):
        now = start + wave * PERIOD
        keys = [f"w{wave}-k{n}" for n in range(KEYS)]
        await store.submit(
            [item(rated(key, limit=1, period=PERIOD, burst=1), at=now) for key in keys]
        )
        leased, _ = await store.lease("a", now, 2 * KEYS, now + 60)
        assert len(leased) == KEYS
        await store.purge_rates(now)
        # Only this wave's buckets are still limiting; the earlier waves' are full again.
        assert await buckets(store) == set(keys)


@pytest.mark.timeout(60)
async def test_a_limiting_bucket_is_kept_and_still_limits(store: InvocationStore) -> None:
    now = time.time()
    await store.submit(
        [item(rated("busy", limit=1, period=PERIOD, burst=1), at=now) for _ in range(2)]
    )
    first, _ = await store.lease("a", now, 10, now + 60)
    assert len(first) == 1
    # A destination's bucket, full again one interval later.
    assert await store.take_rate("dest", "", now, 1.0, 1) is None
    assert await store.purge_rates(now + 2) == 1
    assert await buckets(store) == {"busy"}
    held, next_due = await store.lease("b", now + 2, 10, now + 60)
    assert held == [] and next_due == pytest.approx(now + PERIOD, abs=0.01)
    # Purged, the destination's bucket conforms at once, as a fresh one does.
    assert await store.take_rate("dest", "", now + 2, 1.0, 1) is None
    assert await store.take_rate("dest", "", now + 2, 1.0, 1) == pytest.approx(now + 3)


@pytest.mark.timeout(60)
async def test_the_purge_loop_empties_full_buckets(store: InvocationStore) -> None:
    now = time.time()
    for n in range(20):
        assert await store.take_rate(f"dest{n}", "", now - 10, 1.0, 1) is None
    loop = asyncio.create_task(purge_rates_forever(store, every=0.05))
    try:

        async def emptied() -> bool:
            return not await buckets(store)

        await until(emptied)
    finally:
        loop.cancel()
