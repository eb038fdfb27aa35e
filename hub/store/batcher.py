"""Group commit on a writer thread, for client-server backends whose I/O is the network.

Concurrent submitters wait on the same commit, so under load there is one fsync per batch,
never one per event. An operation that raises is retried alone in its own transaction so it
cannot fail the others that shared its batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import structlog

from hub.errors import StoreError, StoreFullError, TriggerHubError
from hub.store.connection import Connection
from hub.store.health import StoreHealth, is_out_of_space
from hub.supervisor import Supervisor

T = TypeVar("T")
log = structlog.get_logger("hub.store")

MAX_BATCH = 4096


Op = Callable[[Connection], Any]
Outcome = tuple["asyncio.Future[Any] | None", Any, BaseException | None]
OnCommit = Callable[[], None]
"""Called in the loop once a write has committed, before anyone is answered (a durable write
hears of its commit before its fsync)."""


class GroupCommitter:
    def __init__(
        self,
        connect: Callable[[], Connection],
        begin: Callable[[Connection], None],
        health: StoreHealth,
    ) -> None:
        self._connect = connect
        self._begin = begin
        self._health = health
        self._pending: deque[tuple[Op, asyncio.Future[Any] | None, OnCommit | None]] = deque()
        self._cv = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    def start(self, loops: Supervisor) -> None:
        """The writer is a thread of its own: it has no loop for `loops` to keep."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._run, name="triggerhub-store-writer", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise StoreError(
                f"cannot open the store: {self._startup_error}"
            ) from self._startup_error

    def call(
        self,
        op: Callable[[Connection], T],
        *,
        durable: bool = True,
        on_commit: OnCommit | None = None,
    ) -> Awaitable[T]:
        # A client-server commit is durable when it returns: `durable` changes nothing here.
        assert self._loop is not None, "store not opened"
        fut: asyncio.Future[T] = self._loop.create_future()
        self._enqueue(op, fut, on_commit)
        return fut

    def call_nowait(self, op: Op) -> None:
        """Queue a write whose commit nobody waits for (it still commits in order)."""
        self._enqueue(op, None, None)

    def _enqueue(self, op: Op, fut: asyncio.Future[Any] | None, on_commit: OnCommit | None) -> None:
        with self._cv:
            if self._closing:
                raise StoreError("the store is closed")
            self._pending.append((op, fut, on_commit))
            if len(self._pending) == 1:
                self._cv.notify()

    async def close(self) -> None:
        with self._cv:
            self._closing = True
            self._cv.notify()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        conn: Connection | None
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start(), which raises it in the loop
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                with self._cv:
                    while not self._pending and not self._closing:
                        self._cv.wait()
                    if not self._pending:
                        return
                    count = min(len(self._pending), MAX_BATCH)
                    batch = [self._pending.popleft() for _ in range(count)]
                if conn is None:
                    try:
                        conn = self._connect()
                    except Exception as exc:  # the writers back off and come again
                        self._resolve([(fut, None, exc) for _, fut, _ in batch], [])
                        continue
                    log.info("store connection re-established")
                outcomes = execute_batch(conn, self._begin, batch)
                if is_broken(conn):
                    # Lost (a server restart, a killed backend): the next batch connects anew.
                    log.warning("store connection lost; reconnecting for the next write")
                    _close_quietly(conn)
                    conn = None
                self._resolve(outcomes, committed_callbacks(batch, outcomes))
        finally:
            if conn is not None:
                conn.close()

    def _resolve(self, outcomes: list[Outcome], committed: list[OnCommit]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # The loop may close while we commit; then nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._settle, outcomes, committed)

    def _settle(self, outcomes: list[Outcome], committed: list[OnCommit]) -> None:
        self._health.observe(exc for _, _, exc in outcomes)
        run_committed(committed)
        set_results(outcomes)


def execute_batch(
    conn: Connection, begin: Callable[[Connection], None], batch: Sequence[Sequence[Any]]
) -> list[Outcome]:
    """Run a batch in one transaction; if any op raises, run each alone to isolate it. Each
    entry of `batch` starts with the op and the future that awaits its answer (or None)."""
    try:
        begin(conn)
        results = [entry[0](conn) for entry in batch]
        conn.commit()
        return [(entry[1], result, None) for entry, result in zip(batch, results, strict=True)]
    except Exception:
        _safe_rollback(conn)
    return [_execute_one(conn, begin, entry[0], entry[1]) for entry in batch]


def committed_callbacks(batch: Sequence[Sequence[Any]], outcomes: list[Outcome]) -> list[OnCommit]:
    """The on-commit callbacks (each entry's third item) of the writes that committed."""
    return [
        entry[2]
        for entry, outcome in zip(batch, outcomes, strict=True)
        if entry[2] is not None and outcome[2] is None
    ]


def run_committed(callbacks: list[OnCommit]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception as exc:  # one callback's defect must not keep the others' answers
            log.exception("a store write's commit callback failed", error=repr(exc))


def _execute_one(
    conn: Connection, begin: Callable[[Connection], None], op: Op, fut: Any
) -> Outcome:
    try:
        begin(conn)
        result = op(conn)
        conn.commit()
        return (fut, result, None)
    except Exception as exc:
        _safe_rollback(conn)
        if fut is None:
            log.error("store write failed", error=str(exc), op=getattr(op, "__name__", "op"))
        return (fut, None, exc)


def is_broken(conn: Any) -> bool:
    """The connection can never work again (backends that can lose one say so)."""
    return bool(getattr(conn, "broken", False))


def _close_quietly(conn: Connection) -> None:
    try:
        conn.close()
    except Exception as exc:
        log.warning("closing a lost store connection failed", error=str(exc))


def _safe_rollback(conn: Connection) -> None:
    try:
        conn.rollback()
    except Exception as exc:
        log.warning("store rollback failed", error=str(exc))


def set_results(outcomes: list[Outcome]) -> None:
    for fut, result, exc in outcomes:
        if fut is None or fut.done():
            continue
        if exc is not None:
            fut.set_exception(_as_hub_error(exc))
        else:
            fut.set_result(result)


def _as_hub_error(exc: BaseException) -> BaseException:
    """Our own errors (not found, wrong state) pass through; driver errors become StoreError."""
    if isinstance(exc, TriggerHubError):
        return exc
    if is_out_of_space(exc):
        err: StoreError = StoreFullError(f"the store is out of disk space: {exc}")
    else:
        err = StoreError(f"store write failed: {exc}")
    err.__cause__ = exc
    return err
