"""The Hub: the durable asynchronous-invocation engine, drivable from Python without HTTP.

async with Hub(settings, functions) as hub:
    [submitted] = await hub.submit("resize", [event], delay=30)
    inv = await hub.wait(submitted.id)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Mapping, Sequence
from types import TracebackType

import aiohttp
import structlog

from hub import clock
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings
from hub.destinations.loop import DeliveryLoop
from hub.destinations.record import build_record
from hub.destinations.routing import route
from hub.dispatcher import Dispatcher
from hub.errors import InvalidStateError, NotFoundError, StoreError, UnknownFunctionError
from hub.events import Event, WireEvent
from hub.executor import Executor, announce_end
from hub.hooks import Hooks
from hub.ids import new_id
from hub.invocation import Invocation, NewInvocation
from hub.runtime import FunctionRuntime
from hub.status import Condition, Status
from hub.store import open_store
from hub.store.base import Checkpoint, InvocationStore, ListQuery, Page, Routing, Submitted
from hub.supervisor import Supervisor
from hub.targets.factory import build_target

log = structlog.get_logger("hub")
MAX_DELAY = 7 * 86400.0
PURGE_EVERY = 3600.0

__all__ = ["Hub", "Submitted"]


class Hub:
    def __init__(
        self,
        settings: HubSettings | None = None,
        functions: Mapping[str, FunctionConfig] | None = None,
        *,
        store: InvocationStore | None = None,
    ) -> None:
        self.settings = settings or HubSettings()
        self.functions: dict[str, FunctionConfig] = dict(functions or {})
        self.store = store or open_store(self.settings.store)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()[-8:]}"
        self.runtimes: dict[str, FunctionRuntime] = {}
        self.supervisor = Supervisor()
        self.hooks = Hooks()
        self._queue: asyncio.Queue[Invocation] = asyncio.Queue(maxsize=self.settings.queue_size)
        self.dispatcher = Dispatcher(
            self.store, self._queue, self.owner, self.settings.store.lease_timeout
        )
        self.executor = Executor(
            self.store,
            self.dispatcher,
            self.runtimes,
            self.settings.store.lease_timeout,
            self._on_final,
            self.hooks,
        )
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._started = False

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        try:
            self.set_functions(self.functions)
            await self.store.open()
        except BaseException:
            await self._session.close()
            raise
        delivery = DeliveryLoop(
            self.store, self._session, self.owner, self.settings.destination_attempts, self.hooks
        )
        self.store.on_due(self.dispatcher.alarm.nudge)
        self.store.on_outbox(delivery.alarm.nudge)
        self.supervisor.spawn("dispatcher", self.dispatcher.run)
        for n in range(self.settings.executors):
            self.supervisor.spawn(f"executor-{n}", self.executor.worker)
        self.supervisor.spawn("destinations", delivery.run)
        self.supervisor.spawn("purge", self._purge_loop)
        self._started = True
        log.info("hub started", owner=self.owner, functions=len(self.functions))

    def set_functions(self, functions: Mapping[str, FunctionConfig]) -> None:
        """Apply a function set (at start and on reload); queued invocations are untouched."""
        assert self._session is not None, "start the hub first"
        # Every changed target is built before any is swapped in: one that cannot be built (a
        # handler that fails to import) leaves the running set as it was.
        built = {
            name: FunctionRuntime(name, config, build_target(config.target, self._session))
            for name, config in functions.items()
            if (current := self.runtimes.get(name)) is None or current.config != config
        }
        for name in list(self.runtimes):
            if name not in functions:
                del self.runtimes[name]
        self.runtimes.update(built)
        self.functions = dict(functions)

    async def close(self, drain_timeout: float | None = None) -> None:
        """Graceful stop: no more leasing, let running attempts finish within the drain
        deadline, then hand everything still leased back to the queue and close the store."""
        if not self._started:
            return
        self._started = False
        await self.supervisor.cancel("dispatcher")
        # Leased but not started: left for store.release below instead of being started now.
        while not self._queue.empty():
            self._queue.get_nowait()
        deadline = self.settings.drain_timeout if drain_timeout is None else drain_timeout
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(deadline):
                await self._drained()
        await self.supervisor.cancel()
        try:
            released = await asyncio.shield(self.store.release(self.owner))
        except StoreError as exc:
            # Nothing is lost: the leases run out after lease_timeout and the work runs then.
            log.warning("could not hand leases back on stop", error=str(exc))
            released = 0
        if self._session is not None:
            await self._session.close()
        await self.store.close()
        log.info("hub stopped", released=released)

    async def _drained(self) -> None:
        # Queued-but-unstarted items are released below, so only running attempts matter.
        await self.executor.idle.wait()

    async def submit(
        self,
        function: str,
        events: Sequence[Event | WireEvent],
        *,
        delay: float | None = None,
        not_before: float | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> list[Submitted]:
        """Durably queue one invocation per event; returns after the commit. A second submit
        of an event with the same idempotency key returns the first invocation's id."""
        [submitted] = await self.submit_many(
            [(function, events)], delay=delay, not_before=not_before, checkpoint=checkpoint
        )
        return submitted

    async def submit_many(
        self,
        batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
        *,
        delay: float | None = None,
        not_before: float | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> list[list[Submitted]]:
        """Submit events to several functions (and a source checkpoint) in one commit."""
        now = clock.now()
        start = _start_time(now, delay, not_before)
        items: list[NewInvocation] = []
        for function, events in batches:
            config = self.functions.get(function)
            if config is None:
                raise UnknownFunctionError(f"no function named {function!r}")
            deadline = start + config.max_event_age
            for given in events:
                # A wire form (from intake) is written as it is, an Event when it is stored.
                event = given.event if isinstance(given, WireEvent) else given
                items.append(
                    NewInvocation(
                        id=new_id(now),
                        function=function,
                        event=given,
                        not_before=start,
                        deadline=deadline,
                        idempotency_key=event.idempotency_key,
                        ordering_key=event.ordering_key,
                    )
                )
        results = await self.store.submit(items, checkpoint)
        out: list[list[Submitted]] = []
        for function, events in batches:
            out.append(results[: len(events)])
            results = results[len(events) :]
            created = sum(1 for r in out[-1] if r.created)
            if created:
                self.hooks.submitted(function, created)
        return out

    async def get(self, invocation_id: str) -> Invocation:
        inv = await self.store.get(invocation_id)
        if inv is None:
            raise NotFoundError(f"no invocation {invocation_id!r}")
        return inv

    async def query(self, query: ListQuery) -> Page:
        return await self.store.query(query)

    async def stop(self, invocation_id: str) -> Invocation:
        inv = await self.get(invocation_id)
        if inv.status.final:
            raise InvalidStateError(f"invocation {invocation_id} is already {inv.status}")
        now = clock.now()
        config = self.functions.get(inv.function)
        routing = Routing()
        if config is not None and config.on_failure is not None:
            record = build_record(inv, Condition.STOPPED, error="stopped by request")
            routing = route(inv, config, Condition.STOPPED, record, self.functions.get, now)
        before = await self.store.stop(invocation_id, now, routing)
        if before is Status.RUNNING:
            self.executor.cancel(invocation_id)
        self._on_final(inv, Status.STOPPED)
        announce_end(self.hooks, inv, Condition.STOPPED, "stopped by request", None, routing)
        return await self.get(invocation_id)

    async def redrive(self, invocation_id: str) -> Invocation:
        inv = await self.get(invocation_id)
        config = self.functions.get(inv.function)
        max_age = config.max_event_age if config is not None else 6 * 3600.0
        now = clock.now()
        await self.store.redrive(invocation_id, now, now + max_age)
        return await self.get(invocation_id)

    async def wait(self, invocation_id: str, timeout: float | None = None) -> Invocation:
        """Wait until the invocation is final (succeeded, failed, expired or stopped)."""
        async with asyncio.timeout(timeout):
            while True:
                fut = asyncio.get_running_loop().create_future()
                self._waiters.setdefault(invocation_id, []).append(fut)
                inv = await self.get(invocation_id)
                if inv.status.final:
                    self._forget(invocation_id, fut)
                    return inv
                # Another daemon sharing the store may finish it: look again now and then.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await fut
                self._forget(invocation_id, fut)

    def _forget(self, invocation_id: str, fut: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(invocation_id)
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._waiters[invocation_id]

    def _on_final(self, inv: Invocation, status: Status) -> None:
        self.hooks.finished(inv, status, clock.now() - inv.created_at)
        for fut in self._waiters.pop(inv.id, ()):
            if not fut.done():
                fut.set_result(None)

    async def counts(self) -> dict[str, int]:
        return await self.store.counts()

    async def backlog(self) -> int:
        """Active invocations, counted only up to just past `max_backlog`: intake asks often,
        and a full count of a huge backlog would cost more than the answer is worth."""
        return await self.store.backlog(self.settings.max_backlog + 1)

    async def _purge_loop(self) -> None:
        while True:
            # Retried until it runs: purging is also what frees space in a full store.
            removed = await self.store.health.until_written(
                "purge", lambda: self.store.purge(clock.now(), self.settings.store.retention)
            )
            if removed:
                log.info("purged finished invocations", count=removed)
            await asyncio.sleep(PURGE_EVERY)


def _start_time(now: float, delay: float | None, not_before: float | None) -> float:
    if delay is not None and not_before is not None:
        raise ValueError("give either a delay or a not-before time, not both")
    if delay is not None:
        if not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} seconds (7 days)")
        return now + delay
    if not_before is not None:
        if not_before - now > MAX_DELAY:
            raise ValueError("not-before time must be at most 7 days ahead")
        return max(now, not_before)
    return now
