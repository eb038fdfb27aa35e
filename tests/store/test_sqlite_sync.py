"""What the SQLite store writes for an invocation, and when it pays an fsync.

It fsyncs its WAL for the writes someone waits on to be durable, and only for those: a lease,
a start or an outcome (a crash only repeats the attempt) rides on the next durable commit's
fsync instead of paying one of its own. A quick attempt's start and outcome are one UPDATE."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.status import Condition, Status
from hub.store.base import Routing
from hub.store.loop_committer import QUICK_FSYNC, RECENT_SYNCS
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


class SyncThreads(SqliteStore):
    """Records the thread each fsync runs in; `delay` makes this disk's fsyncs slow."""

    delay = 0.0

    def _sync_wal(self) -> None:
        self.threads.append(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        super()._sync_wal()

    threads: list[int]


@pytest.mark.parametrize("slow", [False, True])
async def test_a_lone_commit_is_synced_in_the_loop_while_fsyncs_are_quick(
    tmp_path: Path, slow: bool
) -> None:
    # One submit after another, each alone: once the disk has shown quick fsyncs, a lone
    # commit's fsync runs in the loop's own thread, and still before its submit is answered.
    store = SyncThreads(tmp_path / "hub.db", synchronous="off")  # an fsync as quick as can be
    store.threads = []
    store.delay = 2 * QUICK_FSYNC if slow else 0.0
    await store.open()
    try:
        for n in range(1, 2 * RECENT_SYNCS + 1):
            await store.submit([item()])
            assert len(store.threads) == n  # each answered after its own fsync
    finally:
        await store.close()
    here = threading.get_ident()
    later = store.threads[RECENT_SYNCS:]
    if slow:
        assert here not in store.threads  # a slow disk's fsyncs stay on a thread of their own
    else:
        assert later == [here] * len(later)
        assert here not in store.threads[:RECENT_SYNCS]  # until the disk has shown quick ones


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
