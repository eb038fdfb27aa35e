"""Backpressure for intake: while the hub's backlog (queued + retrying + running) is at or over
`max_backlog`, triggers stop reading until it drains below a low-water mark; and while the
store cannot write (its disk is full), since nothing read could be kept.

The count costs a store query, so it is cached and refreshed at most every `refresh` seconds
(one query however many triggers ask); submits in between are added to the cached count."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog

from hub.store.health import StoreHealth

log = structlog.get_logger("hub.intake")
Backlog = Callable[[], Awaitable[int]]


class BacklogGate:
    def __init__(
        self,
        backlog: Backlog,
        limit: int,
        *,
        health: StoreHealth | None = None,
        resume_ratio: float = 0.9,
        refresh: float = 0.2,
    ) -> None:
        self.limit = limit
        self.health = health or StoreHealth()
        self.resume_below = limit * resume_ratio
        self.backlog = 0
        self.paused = False
        self._backlog = backlog
        self._refresh = refresh
        self._checked = -float("inf")
        self._lock = asyncio.Lock()
        self._resumed = asyncio.Event()

    async def admit(self, on_pause: Callable[[], Awaitable[None]]) -> None:
        """Return at once while under the limit and the store writes; otherwise call
        `on_pause` and wait."""
        await self._refresh_if_stale()
        if not self.holding:
            return
        await on_pause()
        while self.holding:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh):
                    if self.paused:
                        await self._resumed.wait()
                    else:
                        await self.health.wait_writable()
            await self._refresh_if_stale()

    async def refresh(self) -> None:
        """Count the backlog again if the last count is stale (for intake that never waits in
        `admit`: it asks `holding` instead)."""
        await self._refresh_if_stale()

    @property
    def holding(self) -> bool:
        return self.paused or not self.health.writable

    @property
    def reason(self) -> str:
        """Why intake waits, for the trigger's log line and status."""
        if not self.health.writable:
            return f"the store cannot write: {self.health.reason}"
        return f"the backlog ({self.backlog}) is at max_backlog ({self.limit})"

    def note_submitted(self, created: int) -> None:
        self._set(self.backlog + created)

    async def _refresh_if_stale(self) -> None:
        if time.monotonic() - self._checked < self._refresh:
            return
        async with self._lock:
            if time.monotonic() - self._checked < self._refresh:
                return  # another trigger refreshed it while this one waited for the lock
            try:
                backlog = await self._backlog()
            except Exception as exc:
                # Keep the last count: a store hiccup must not reconnect every source.
                log.warning("backlog count failed", error=repr(exc))
            else:
                self._set(backlog)
            self._checked = time.monotonic()

    def _set(self, backlog: int) -> None:
        self.backlog = backlog
        if self.paused and backlog < self.resume_below:
            self.paused = False
            self._resumed.set()
            log.info("intake resumed", backlog=backlog, limit=self.limit)
        elif not self.paused and backlog >= self.limit:
            self.paused = True
            self._resumed.clear()
            log.warning("intake paused: backlog at its limit", backlog=backlog, limit=self.limit)
