"""Lease due invocations into the bounded in-memory queue, waking on commits and due times."""

from __future__ import annotations

import asyncio

import structlog

from hub import clock
from hub.alarm import Alarm
from hub.errors import StoreError
from hub.invocation import Invocation
from hub.store.base import InvocationStore

log = structlog.get_logger("hub.dispatcher")


class Dispatcher:
    def __init__(
        self,
        store: InvocationStore,
        queue: asyncio.Queue[Invocation],
        owner: str,
        lease_timeout: float,
    ) -> None:
        self.store = store
        self.queue = queue
        self.owner = owner
        self.lease_timeout = lease_timeout
        self.alarm = Alarm()
        # Ids leased by us and not yet finished: a lease that runs out while its invocation
        # still waits in memory must not put it in the queue twice.
        self.inflight: set[str] = set()
        self._space = asyncio.Event()
        self._low_water = max(1, queue.maxsize // 2)

    def taken(self) -> None:
        """An executor took an item; lease more once the queue is half empty."""
        if self.queue.qsize() <= self._low_water:
            self._space.set()

    async def run(self) -> None:
        failures = 0
        while True:
            self.alarm.arm()
            free = self.queue.maxsize - self.queue.qsize()
            if free < self._low_water:
                self._space.clear()
                await self._space.wait()
                continue
            now = clock.now()
            try:
                leased, next_due = await self.store.lease(
                    self.owner, now, free, now + self.lease_timeout
                )
            except StoreError as exc:
                # A store that cannot write now (a full disk, a lost connection) is waited
                # out here: restarting the loop would not make it write sooner.
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.warning("leasing failed; waiting", error=str(exc), failures=failures)
                await self.store.health.backoff(failures)
                continue
            if failures:
                log.info("leasing again", failures=failures)
                failures = 0
            for inv in leased:
                if inv.id not in self.inflight:
                    self.inflight.add(inv.id)
                    self.queue.put_nowait(inv)
            if len(leased) < free:
                await self.alarm.sleep_until(next_due)
