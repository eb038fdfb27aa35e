"""Lease due invocations into the bounded in-memory queue, waking on commits and due times;
executors take them one at a time with `async with dispatcher.take() as invocation`."""

from __future__ import annotations

import asyncio

import structlog

from hub import clock
from hub.alarm import Alarm
from hub.errors import StoreError
from hub.invocation import Invocation
from hub.store.base import InvocationStore
from hub.store.submit_lease import SubmitLease

log = structlog.get_logger("hub.dispatcher")


class Dispatcher:
    def __init__(
        self,
        store: InvocationStore,
        owner: str,
        lease_timeout: float,
        queue_size: int,
    ) -> None:
        self.store = store
        self.owner = owner
        self.lease_timeout = lease_timeout
        self.alarm = Alarm()
        self._queue: asyncio.Queue[Invocation] = asyncio.Queue(maxsize=queue_size)
        # Ids leased by us and not yet finished: a lease that runs out while its invocation
        # still waits in memory must not put it in the queue twice.
        self._inflight: set[str] = set()
        self._space = asyncio.Event()
        self._low_water = max(1, queue_size // 2)
        # Room held for submits that lease what they create (hub/store/submit_lease.py),
        # offered only while this loop sleeps with nothing due, and none once stopping.
        self._reserved = 0
        self._idle = False
        self._stopping = False

    def offer(self, count: int) -> SubmitLease | None:
        if not self._idle or self._stopping:
            return None
        room = min(count, self._queue.maxsize - self._queue.qsize() - self._reserved)
        if room <= 0:
            return None
        self._reserved += room
        return SubmitLease(self.owner, room, clock.now() + self.lease_timeout)

    def settle(self, lease: SubmitLease, committed: bool) -> None:
        self._reserved -= lease.limit
        self._space.set()  # the room held back may be what the lease loop waits for
        if not committed or self._stopping:
            return  # not leased, or handed back by the store when the hub stops
        for inv in lease.leased:
            self._inflight.add(inv.id)
            self._queue.put_nowait(inv)

    def take(self) -> Taken:
        """The next leased invocation, held as in flight until the block ends."""
        return Taken(self)

    async def _next(self) -> Invocation:
        inv = await self._queue.get()
        if self._queue.qsize() <= self._low_water:
            self._space.set()  # lease more once the queue is half empty
        return inv

    def drop_queued(self) -> None:
        """Forget what is leased but not started (on stop): the store hands it back."""
        self._stopping = True
        while not self._queue.empty():
            self._inflight.discard(self._queue.get_nowait().id)

    def _done(self, inv: Invocation) -> None:
        self._inflight.discard(inv.id)

    async def run(self) -> None:
        failures = 0
        while True:
            self.alarm.arm()
            free = self._queue.maxsize - self._queue.qsize() - self._reserved
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
                if inv.id not in self._inflight:
                    self._inflight.add(inv.id)
                    self._queue.put_nowait(inv)
            if len(leased) < free:
                self._idle = True
                try:
                    await self.alarm.sleep_until(next_due)
                finally:
                    self._idle = False


class Taken:
    """`async with dispatcher.take() as inv`: a class rather than an async generator, which
    costs a generator, its wrapper and two extra resumptions per invocation."""

    __slots__ = ("_dispatcher", "_inv")

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        self._inv: Invocation | None = None

    async def __aenter__(self) -> Invocation:
        self._inv = await self._dispatcher._next()
        return self._inv

    async def __aexit__(self, *_exc: object) -> None:
        if self._inv is not None:
            self._dispatcher._done(self._inv)
