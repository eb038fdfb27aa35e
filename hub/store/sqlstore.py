"""The async store over any DB-API backend: writes through the group committer, reads on a
separate connection so status queries never wait behind a commit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

from hub import clock
from hub.config.settings import DEFAULT_DEDUP_WINDOW
from hub.errors import StoreError
from hub.invocation import Invocation, NewInvocation
from hub.status import Status
from hub.store import ops
from hub.store.base import (
    Checkpoint,
    Delivery,
    DueCallback,
    ListQuery,
    Page,
    Routing,
    Submitted,
)
from hub.store.batcher import GroupCommitter, is_broken
from hub.store.health import StoreHealth
from hub.supervisor import Supervisor

T = TypeVar("T")
# While the store cannot write, how often a small real write checks whether it can again.
PROBE_EVERY = 1.0
PROBE_BYTES = 64 * 1024


class Committer(Protocol):
    def start(self, loops: Supervisor) -> None: ...
    async def call(self, op: Callable[[Any], T], *, durable: bool = True) -> T: ...
    def call_nowait(self, op: Callable[[Any], Any]) -> None: ...
    async def close(self) -> None: ...


class SqlStore:
    """Backends provide `_connect()` (a DB-API connection), `_begin(conn)` and `lock_clause`."""

    lock_clause = ""

    def __init__(self, dedup_window: float = DEFAULT_DEDUP_WINDOW) -> None:
        self.dedup_window = dedup_window
        self.health = StoreHealth()
        # The store's own background loops (the write probe, SQLite's checkpointer, PostgreSQL's
        # listener), and in a group of their own the writer's, which close() drains last.
        self.loops = Supervisor("store")
        self._closed = False
        self._writer: Committer = self._make_writer()
        self._reader: Any = None
        self._read_lock = threading.Lock()
        self._due_callbacks: list[DueCallback] = []
        self._outbox_callbacks: list[DueCallback] = []

    def _make_writer(self) -> Committer:
        return GroupCommitter(self._connect, self._begin, self.health)

    def _connect(self) -> Any:
        raise NotImplementedError

    def _begin(self, conn: Any) -> None:
        raise NotImplementedError

    async def open(self) -> None:
        self._writer.start(self.loops.group("writer"))
        self._reader = await asyncio.to_thread(self._connect)
        self.loops.spawn("store-write-probe", self._probe_loop)

    async def close(self) -> None:
        self._closed = True  # the API outlives the store: its reads must not reopen it
        await self.loops.cancel()
        await self._writer.close()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.close)
            self._reader = None

    async def _probe_loop(self) -> None:
        while True:
            await self.health.wait_writable_lost()
            await asyncio.sleep(PROBE_EVERY)
            try:
                await self._writer.call(partial(ops.write_probe, now=_now(), size=PROBE_BYTES))
            except StoreError:
                continue  # still cannot write: the committer has kept the reason up to date
            self.health.recovered()

    def on_due(self, callback: DueCallback) -> None:
        self._due_callbacks.append(callback)

    def _due(self, run_at: float) -> None:
        for callback in self._due_callbacks:
            callback(run_at)

    def on_outbox(self, callback: DueCallback) -> None:
        """`callback(run_at)` after a commit queues a destination delivery."""
        self._outbox_callbacks.append(callback)

    def _outbox_due(self, run_at: float) -> None:
        for callback in self._outbox_callbacks:
            callback(run_at)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with self._read_lock:
                if self._closed:
                    raise StoreError("the store is closed")
                if self._reader is None:  # lost on an earlier read: connect anew
                    self._reader = self._connect()
                reader = self._reader
                try:
                    return fn(reader, *args)
                except Exception as exc:
                    if not is_broken(reader):
                        raise
                    self._reader = None
                    with contextlib.suppress(Exception):
                        reader.close()
                    raise StoreError(f"store read failed; reconnecting: {exc}") from exc
                finally:
                    if self._reader is reader:
                        reader.rollback()  # end the read snapshot so the next read is fresh

        return await asyncio.to_thread(run)

    async def submit(
        self, items: Sequence[NewInvocation], checkpoint: Checkpoint | None = None
    ) -> list[Submitted]:
        now = _now()
        results = await self._writer.call(
            partial(
                ops.submit,
                items=items,
                now=now,
                dedup_window=self.dedup_window,
                checkpoint=checkpoint,
            )
        )
        if items and any(r.created for r in results):
            self._due(min(i.not_before for i in items))
        return results

    async def _commit_fast(self, op: Callable[[Any], T]) -> T:
        # Leases and attempt outcomes need not wait for the fsync: lost in a crash, they only
        # make an invocation run again, which at-least-once allows.
        return await self._writer.call(op, durable=False)

    async def flush(self) -> None:
        """Return once every write queued before this call is committed."""
        await self._writer.call(_noop)

    async def lease(
        self, owner: str, now: float, limit: int, lease_until: float
    ) -> tuple[list[Invocation], float | None]:
        return await self._commit_fast(
            partial(
                ops.lease,
                owner=owner,
                now=now,
                limit=limit,
                lease_until=lease_until,
                lock=self.lock_clause,
            )
        )

    async def start(self, inv: Invocation, owner: str, now: float, run_until: float) -> None:
        self._writer.call_nowait(
            partial(
                ops.start,
                inv_id=inv.id,
                owner=owner,
                now=now,
                run_until=run_until,
                attempt=inv.attempts + 1,
            )
        )

    async def finish(
        self,
        inv: Invocation,
        owner: str,
        now: float,
        status: Status,
        condition: str,
        error: str | None,
        response: Any,
        routing: Routing,
    ) -> bool:
        done = await self._commit_fast(
            partial(
                ops.finish,
                inv_id=inv.id,
                owner=owner,
                now=now,
                status=status,
                condition=condition,
                error=error,
                response=response,
                routing=routing,
                dedup_window=self.dedup_window,
            )
        )
        self._announce(routing, now)
        if inv.ordering_key is not None:
            self._due(now)  # the next invocation of its key may start now
        return bool(done)

    def _announce(self, routing: Routing, now: float) -> None:
        if routing.follow_ups:
            self._due(now)
        if routing.deliveries:
            self._outbox_due(now)

    async def retry(
        self, inv: Invocation, owner: str, now: float, next_at: float, error: str
    ) -> bool:
        done = await self._commit_fast(
            partial(ops.retry, inv_id=inv.id, owner=owner, now=now, next_at=next_at, error=error)
        )
        if done:
            self._due(next_at)
        return bool(done)

    async def defer(self, inv: Invocation, owner: str, next_at: float, error: str) -> None:
        await self._commit_fast(
            partial(ops.defer, inv_id=inv.id, owner=owner, next_at=next_at, error=error)
        )
        self._due(next_at)

    async def release(self, owner: str) -> int:
        count = await self._writer.call(partial(ops.release, owner=owner, now=_now()))
        if count:
            self._due(_now())
        return int(count)

    async def stop(self, invocation_id: str, now: float, routing: Routing) -> Status:
        before = await self._writer.call(
            partial(
                ops.stop,
                inv_id=invocation_id,
                now=now,
                routing=routing,
                dedup_window=self.dedup_window,
            )
        )
        self._announce(routing, now)
        self._due(now)  # it may have held back others of its ordering key
        return Status(before)

    async def redrive(self, invocation_id: str, now: float, deadline: float) -> None:
        await self._writer.call(
            partial(ops.redrive, inv_id=invocation_id, now=now, deadline=deadline)
        )
        self._due(now)

    async def get(self, invocation_id: str) -> Invocation | None:
        return await self._read(ops.get, invocation_id)

    async def query(self, query: ListQuery) -> Page:
        return await self._read(ops.list_page, query)

    async def purge(self, now: float, retention: float) -> int:
        total = 0
        while True:
            removed = await self._writer.call(partial(ops.purge, cutoff=now - retention, now=now))
            total += removed
            if removed == 0:
                return total

    async def counts(self) -> dict[str, int]:
        return await self._read(ops.counts)

    async def backlog(self, cap: int) -> int:
        return await self._read(ops.backlog, cap)

    async def next_delivery(self) -> float | None:
        return await self._read(ops.next_delivery)

    async def get_checkpoint(self, name: str) -> str | None:
        return await self._read(ops.get_checkpoint, name)

    async def set_checkpoint(self, checkpoint: Checkpoint) -> None:
        await self._writer.call(partial(ops.set_checkpoint, checkpoint=checkpoint, now=_now()))

    async def claim_source(self, name: str, owner: str, now: float, until: float) -> str:
        return await self._commit_fast(
            partial(ops.claim_source, name=name, owner=owner, now=now, until=until)
        )

    async def release_source(self, name: str, owner: str) -> None:
        await self._commit_fast(partial(ops.release_source, name=name, owner=owner))

    async def lease_deliveries(
        self, owner: str, now: float, limit: int, lease_until: float
    ) -> list[Delivery]:
        return await self._commit_fast(
            partial(
                ops.lease_deliveries,
                owner=owner,
                now=now,
                limit=limit,
                lease_until=lease_until,
                lock=self.lock_clause,
            )
        )

    async def delivered(self, delivery: Delivery, now: float, detail: str) -> None:
        await self._commit_fast(partial(ops.delivered, delivery=delivery, now=now, detail=detail))

    async def delivery_failed(
        self, delivery: Delivery, now: float, error: str, next_at: float | None
    ) -> None:
        await self._commit_fast(
            partial(ops.delivery_failed, delivery=delivery, now=now, error=error, next_at=next_at)
        )
        if next_at is not None:
            self._outbox_due(next_at)


def _noop(_conn: Any) -> None:
    return None


def _now() -> float:
    return clock.now()
