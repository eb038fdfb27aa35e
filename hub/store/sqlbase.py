"""What every DB-API store shares: writes through the group committer, reads on a separate
connection so status queries never wait behind a commit, and the callbacks a commit that made
work due calls."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

from hub import clock
from hub.config.settings import DEFAULT_DEDUP_WINDOW
from hub.errors import StoreError
from hub.store.base import DueCallback
from hub.store.batcher import GroupCommitter, OnCommit, is_broken
from hub.store.connection import Connection, Op
from hub.store.health import StoreHealth
from hub.store.probe import probe_until_writable
from hub.supervisor import Supervisor

T = TypeVar("T")


class Committer(Protocol):
    def start(self, loops: Supervisor) -> None: ...
    def call(
        self, op: Op[T], *, durable: bool = True, on_commit: OnCommit | None = None
    ) -> Awaitable[T]: ...
    def call_nowait(self, op: Op[Any]) -> None: ...
    async def close(self) -> None: ...


class SqlBase:
    """Connections, the committer, the reader and the wake-up callbacks. Backends provide
    `_connect()`, `_begin(conn)` and `lock_clause`."""

    lock_clause = ""

    def __init__(self, dedup_window: float = DEFAULT_DEDUP_WINDOW) -> None:
        self.dedup_window = dedup_window
        self.health = StoreHealth()
        # The store's own background loops (the write probe, SQLite's checkpointer, PostgreSQL's
        # listener), and in a group of their own the writer's, which close() drains last.
        self.loops = Supervisor("store")
        self._closed = False
        self._writer: Committer = self._make_writer()
        self._reader: Connection | None = None
        self._read_lock = threading.Lock()
        self._due_callbacks: list[DueCallback] = []
        self._outbox_callbacks: list[DueCallback] = []

    def _make_writer(self) -> Committer:
        return GroupCommitter(self._connect, self._begin, self.health)

    def _connect(self) -> Connection:
        raise NotImplementedError

    def _begin(self, conn: Connection) -> None:
        raise NotImplementedError

    @staticmethod
    def now() -> float:
        """The instant the store stamps on the writes whose caller names none."""
        return clock.now()

    async def open(self) -> None:
        self._writer.start(self.loops.group("writer"))
        self._reader = await asyncio.to_thread(self._connect)
        self.loops.spawn(
            "store-write-probe", lambda: probe_until_writable(self.health, self._commit, self.now)
        )

    async def close(self) -> None:
        self._closed = True  # the API outlives the store: its reads must not reopen it
        await self.loops.cancel()
        await self._writer.close()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.close)
            self._reader = None

    def on_due(self, callback: DueCallback) -> None:
        self._due_callbacks.append(callback)

    def _due(self, run_at: float) -> None:
        for callback in self._due_callbacks:
            callback(run_at)

    def on_outbox(self, callback: DueCallback) -> None:
        self._outbox_callbacks.append(callback)

    def _outbox_due(self, run_at: float) -> None:
        for callback in self._outbox_callbacks:
            callback(run_at)

    # Not coroutines themselves: the committer's future is the one awaited, a frame less on
    # every write of the hot path.
    def _commit(self, op: Op[T], on_commit: OnCommit | None = None) -> Awaitable[T]:
        return self._writer.call(op, on_commit=on_commit)

    def _commit_fast(self, op: Op[T]) -> Awaitable[T]:
        # Leases and attempt outcomes need not wait for the fsync: lost in a crash, they only
        # make an invocation run again, which at-least-once allows.
        return self._writer.call(op, durable=False)

    async def _read(self, op: Op[T]) -> T:
        def run() -> T:
            with self._read_lock:
                if self._closed:
                    raise StoreError("the store is closed")
                if self._reader is None:  # lost on an earlier read: connect anew
                    self._reader = self._connect()
                reader = self._reader
                try:
                    return op(reader)
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

    async def flush(self) -> None:
        await self._commit(_noop)


def _noop(_conn: Connection) -> None:
    return None
