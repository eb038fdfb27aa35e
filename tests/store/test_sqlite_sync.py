"""What the SQLite store writes for an invocation, and when it pays an fsync.

It fsyncs its WAL for the writes someone waits on to be durable, and only for those: a lease,
a start or an outcome (a crash only repeats the attempt) rides on the next durable commit's
fsync instead of paying one of its own. A quick attempt's start and outcome are one UPDATE."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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


class TracedWrites(SqliteStore):
    """Records every statement the writer connection runs (SQLite's own trace hook)."""

    statements: list[str]

    def _connect_writer(self) -> Any:
        conn = super()._connect_writer()
        self.statements = []
        conn._conn.set_trace_callback(self.statements.append)
        return conn


async def test_a_quick_attempt_is_one_update_for_its_start_and_outcome(tmp_path: Path) -> None:
    store = TracedWrites(tmp_path / "hub.db")
    await store.open()
    try:
        [sub] = await store.submit([item()])
        now = time.time()
        [inv], _ = await store.lease("a", now, 1, now + 60)
        store.statements.clear()
        await store.start(inv, "a", now, now + 60)
        assert await store.finalize(
            inv, "a", now, Status.SUCCEEDED, Condition.SUCCESS.value, None, None, Routing()
        )
        updates = [s for s in store.statements if s.lstrip().upper().startswith("UPDATE")]
        assert len(updates) == 1, updates
        record = await store.get(sub.id)
        assert record is not None and record.attempts == 1 and record.started_at is not None
    finally:
        await store.close()
