"""The SQLite store fsyncs its WAL for the writes someone waits on to be durable, and only
for those: a lease, a start or an outcome (a crash only repeats the attempt) rides on the next
durable commit's fsync instead of paying one of its own."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.status import Condition, Status
from hub.store.base import Routing
from hub.store.sqlite import SqliteStore
from tests.store.test_contract import item


class CountedSyncs(SqliteStore):
    syncs = 0

    def _sync_wal(self) -> None:
        self.syncs += 1
        super()._sync_wal()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountedSyncs]:
    store = CountedSyncs(tmp_path / "hub.db")
    await store.open()
    yield store
    await store.close()


async def test_only_durable_commits_are_synced(store: CountedSyncs) -> None:
    [sub] = await store.submit([item()])
    assert store.syncs == 1
    now = time.time()
    [inv], _ = await store.lease("a", now, 1, now + 60)
    await store.start(inv, "a", now, now + 60)
    assert await store.finalize(
        inv, "a", now, Status.SUCCEEDED, Condition.SUCCESS.value, None, None, Routing()
    )
    # The lease, the start and the outcome committed (the outcome is read back) unsynced.
    record = await store.get(sub.id)
    assert record is not None and record.status is Status.SUCCEEDED
    assert store.syncs == 1
    await store.submit([item()])
    assert store.syncs == 2
