"""Whether the store can write: one flag that every part of the hub reads.

The committer sets it when a write fails for want of space (SQLite's "database or disk is
full", ENOSPC or a quota from the file system, PostgreSQL's disk_full) and a probe clears it
once a small real write commits again. A commit that wrote nothing proves nothing, which is
why the probe, not any successful commit, is what clears it.

While it is set, `/readyz` answers 503, submits answer 507, triggers pause intake as they do on
backpressure, and the loops that write wait for it instead of crashing; all of them resume on
their own when it clears.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import structlog

from hub.config.functions import Backoff
from hub.errors import StoreError, StoreFullError
from hub.retry import compute_backoff

T = TypeVar("T")
log = structlog.get_logger("hub.store")

# How writers wait after a failed write: capped and jittered like restarts, but shorter,
# since a store that heals is used again at once (a recovery also cuts the wait short).
WRITE_BACKOFF = Backoff(initial=0.2, multiplier=2.0, max=10.0, jitter=True)
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_PG_TRANSIENT = frozenset({"OperationalError", "InterfaceError", "DiskFull", "AdminShutdown"})


def is_transient(exc: BaseException) -> bool:
    """A failed write that may go through later: no space, a lost connection, a busy or
    failing disk. A write the store refuses for its content (a value it cannot hold) fails the
    same way every time and is not one."""
    if isinstance(exc, StoreFullError):
        return True
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError | sqlite3.OperationalError):
            return True
        kind = type(cause)
        # psycopg is an optional extra: recognised by name rather than imported.
        if kind.__module__.startswith("psycopg") and kind.__name__ in _PG_TRANSIENT:
            return True
        cause = cause.__cause__
    return False


def is_out_of_space(exc: BaseException | None) -> bool:
    """A write failed because the disk (or a quota) is full, in any backend's words."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:
            return True
        if getattr(exc, "sqlstate", None) == _PG_DISK_FULL:
            return True
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            return True
        exc = exc.__cause__
    return False


class StoreHealth:
    def __init__(self) -> None:
        self.reason: str | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._unwritable = asyncio.Event()

    @property
    def writable(self) -> bool:
        return self.reason is None

    def observe(self, errors: Iterable[BaseException | None]) -> None:
        """Called by the committer with what each write of a commit raised (None if nothing)."""
        for exc in errors:
            if is_out_of_space(exc):
                self.cannot_write(str(exc))
                return

    def cannot_write(self, reason: str) -> None:
        if self.reason is None:
            log.error(
                "the store cannot write: intake paused, submits refused until space returns",
                reason=reason,
            )
        self.reason = reason
        self._writable.clear()
        self._unwritable.set()

    def recovered(self) -> None:
        if self.reason is not None:
            log.info("the store writes again: intake resumed", was=self.reason)
        self.reason = None
        self._unwritable.clear()
        self._writable.set()

    async def wait_writable(self) -> None:
        await self._writable.wait()

    async def wait_writable_lost(self) -> None:
        await self._unwritable.wait()

    async def backoff(self, failures: int) -> None:
        """After the `failures`-th write failure in a row: wait a capped, jittered delay, cut
        short when the store becomes writable again."""
        delay = compute_backoff(failures, WRITE_BACKOFF)
        if self.writable:
            await asyncio.sleep(delay)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self.wait_writable()

    async def until_written(self, what: str, write: Callable[[], Awaitable[T]], **fields: Any) -> T:
        """Run `write` until it commits: for outcomes that, if dropped, would make work run
        again (an attempt's result, a delivered record). Only store errors that may pass are
        retried; one the store will refuse every time propagates (the lease then runs out)."""
        failures = 0
        while True:
            try:
                result = await write()
            except StoreError as exc:
                if not is_transient(exc):
                    raise
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.warning(
                        "store write failed; retrying",
                        write=what,
                        error=str(exc),
                        failures=failures,
                        **fields,
                    )
                await self.backoff(failures)
                continue
            if failures:
                log.info("store write went through", write=what, failures=failures, **fields)
            return result
