"""Group commit for an embedded database, in the event loop's own thread.

SQLite statements take microseconds, but a writer thread would hand the GIL back and forth on
every statement, and under load each hand-off waits for the busy event loop: that convoy, not
SQLite, would bound throughput. So statements run here, in the loop, in batches, and only the
fsync that makes a batch durable goes to a thread: one GIL hand-off per batch. Operations
queued while a batch is being synced form the next batch.

A commit someone waits on alone (no fsync running, nothing else queued: one sequential
client) is synced in the loop instead, while this disk's recent fsyncs were all quick: the
hand-off to a thread and back costs more than such an fsync (two context switches and a
wake-up of the loop), and there is nothing to pipeline with it. A slow fsync (a busy disk)
sends the next ones back to the thread until quick ones show again.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hub.errors import StoreError, StoreFullError
from hub.store.batcher import (
    OnCommit,
    Op,
    Outcome,
    committed_callbacks,
    execute_batch,
    run_committed,
    set_results,
)
from hub.store.connection import Connection
from hub.store.health import StoreHealth, is_out_of_space
from hub.supervisor import Supervisor

T = TypeVar("T")
# Bounds how long one batch holds the loop (a few milliseconds at most).
MAX_BATCH = 1024
# A lone commit is synced in the loop only while each of the last RECENT_SYNCS fsyncs took
# less than this: the loop stalls for no longer than a thread hand-off would cost anyway.
QUICK_FSYNC = 0.001
RECENT_SYNCS = 16
Pending = tuple[Op, "asyncio.Future[Any] | None", "OnCommit | None", bool]


class LoopCommitter:
    def __init__(
        self,
        connect: Callable[[], Connection],
        begin: Callable[[Connection], None],
        sync: Callable[[], None],
        health: StoreHealth,
    ) -> None:
        self._connect = connect
        self._begin = begin
        self._sync = sync
        self._health = health
        # (op, its future or None, its on-commit callback or None, whether the future waits
        # for the fsync)
        self._pending: deque[Pending] = deque()
        self._wake = asyncio.Event()
        self._conn: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._unsynced: list[Outcome] = []
        self._syncer: asyncio.Task[None] | None = None
        self._loops = Supervisor()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._recent_syncs: deque[float] = deque(maxlen=RECENT_SYNCS)

    def start(self, loops: Supervisor) -> None:
        """Start committing in `loops`, a group of its own: it stops when close() drains it."""
        try:
            self._conn = self._connect()
        except Exception as exc:
            raise StoreError(f"cannot open the store: {exc}") from exc
        self._loops = loops
        self._loop = asyncio.get_running_loop()
        self._task = loops.spawn("committer", self._run)

    def call(
        self,
        op: Callable[[Connection], T],
        *,
        durable: bool = True,
        on_commit: OnCommit | None = None,
    ) -> Awaitable[T]:
        """Run `op` in the next group commit; await the answer. `durable=False` answers once it
        is committed, before the fsync: for writes whose loss a crash would only turn into a
        repeat (leases, finishing an attempt), never for what acknowledges a source. A future,
        not a coroutine: a frame less on every write of the hot path. `on_commit` is called
        once it has committed, before anyone is answered."""
        assert self._loop is not None, "store not opened"
        fut: asyncio.Future[T] = self._loop.create_future()
        self._enqueue((op, fut, on_commit, durable))
        return fut

    def call_nowait(self, op: Op) -> None:
        """Queue a write whose commit nobody waits for (it still commits in order)."""
        self._enqueue((op, None, None, False))

    def _enqueue(self, pending: Pending) -> None:
        if self._closing:
            raise StoreError("the store is closed")
        self._pending.append(pending)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                count = min(len(self._pending), MAX_BATCH)
                batch = [self._pending.popleft() for _ in range(count)]
                assert self._conn is not None, "store not opened"
                try:
                    outcomes = execute_batch(self._conn, self._begin, batch)
                except Exception as exc:
                    err = StoreError(f"store write failed: {exc!r}")
                    err.__cause__ = exc
                    set_results([(entry[1], None, err) for entry in batch])
                    continue
                waiting = self._answer_eager(batch, outcomes)
                if not waiting:
                    # Nobody waits for these to be durable (a lease, a start, an outcome: a
                    # crash only repeats an attempt), so they pay no fsync of their own: the
                    # next durable commit's fsync covers them, as the WAL is synced in order,
                    # and so does the next checkpoint.
                    continue
                # Committed; durable once an fsync that starts after this commit returns. While
                # one fsync runs, later batches commit and wait together for the next one.
                self._unsynced.extend(waiting)
                if self._syncer is None and not self._pending and self._syncs_quick():
                    # Once round the loop first: what this commit woke (an attempt leased
                    # at its submit) starts before the fsync, as it would beside a thread.
                    await asyncio.sleep(0)
                    set_results(self._sync_here(self._take_unsynced()))
                elif self._syncer is None:
                    self._syncer = self._loops.spawn("fsync", self._sync_loop)
            if self._closing:
                if self._syncer is not None:
                    await self._syncer
                return

    def _answer_eager(self, batch: list[Pending], outcomes: list[Outcome]) -> list[Outcome]:
        """Answer the writes that wait only for their commit; returns those that wait for the
        fsync too (writes nobody waits for have nothing to answer)."""
        run_committed(committed_callbacks(batch, outcomes))
        waiting: list[Outcome] = []
        failed = False
        for (_, fut, _, durable), outcome in zip(batch, outcomes, strict=True):
            if outcome[2] is not None:
                failed = True
            if durable:
                waiting.append(outcome)
            elif fut is not None and not fut.done():
                if outcome[2] is None:
                    fut.set_result(outcome[1])
                else:
                    set_results([outcome])
        if failed:
            self._health.observe(exc for _, _, exc in outcomes)
        return waiting

    def _syncs_quick(self) -> bool:
        recent = self._recent_syncs
        return len(recent) == RECENT_SYNCS and max(recent) < QUICK_FSYNC

    def _take_unsynced(self) -> list[Outcome]:
        outcomes, self._unsynced = self._unsynced, []
        return outcomes

    def _timed_sync(self) -> None:
        began = time.perf_counter()
        self._sync()
        self._recent_syncs.append(time.perf_counter() - began)

    def _failed_sync(self, outcomes: list[Outcome], exc: OSError) -> list[Outcome]:
        message = f"the store could not make a commit durable: {exc}"
        if is_out_of_space(exc):
            self._health.cannot_write(str(exc))
            err: StoreError = StoreFullError(message)
        else:
            err = StoreError(message)
        return [(fut, None, err if e is None else e) for fut, _, e in outcomes]

    def _sync_here(self, outcomes: list[Outcome]) -> list[Outcome]:
        try:
            self._timed_sync()
        except OSError as exc:
            return self._failed_sync(outcomes, exc)
        return outcomes

    async def _sync_loop(self) -> None:
        try:
            while self._unsynced:
                outcomes = self._take_unsynced()
                try:
                    await asyncio.to_thread(self._timed_sync)
                except OSError as exc:
                    outcomes = self._failed_sync(outcomes, exc)
                set_results(outcomes)
        finally:
            self._syncer = None

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task  # queued writes land before the connection goes
        if self._conn is not None:
            self._conn.close()
            self._conn = None
