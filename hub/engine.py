"""The Hub: the durable asynchronous-invocation engine, drivable from Python without HTTP.

async with Hub(settings, functions) as hub:
    [submitted] = await hub.submit("resize", [event], delay=30)
    inv = await hub.wait(submitted.id)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from functools import partial
from types import TracebackType

import aiohttp
import structlog

from hub import clock
from hub.config.flow_lease import LeaseFlow
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings
from hub.control.invocation import redrive_one, stop_one
from hub.control.pausing import PauseBook
from hub.dispatcher import Dispatcher
from hub.engine_loops import start_loops, stop_loops
from hub.errors import NotFoundError
from hub.events import Event, WireEvent
from hub.executor import Executor
from hub.flow.batching import with_batch_failures
from hub.flow.config import TriggerOrigin
from hub.flow.intake import IntakeFlow
from hub.flow.status import FlowCounts
from hub.hooks import Hooks
from hub.ids import new_id
from hub.invocation import Invocation
from hub.runtime import FunctionRuntime, apply_functions
from hub.status import Status
from hub.store import open_store
from hub.store.base import Checkpoint, InvocationStore, ListQuery, Page, Submitted
from hub.store.health import StoreHealth
from hub.submission import submit_batches
from hub.submission_together import Outcome, Submission, submit_together
from hub.supervisor import Supervisor
from hub.telemetry import start_telemetry
from hub.waiters import Waiters

log = structlog.get_logger("hub")

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
        # The root of the process's supervisor tree: the hub's own loops, the store's below.
        self.supervisor = Supervisor()
        self.supervisor.adopt("store", self.store.loops)
        self.hooks = Hooks()
        self.flow_counts = FlowCounts()
        self.hooks.on_started.append(self.flow_counts.on_started)
        self.telemetry = start_telemetry(self.settings.telemetry)
        if self.telemetry is not None:
            self.telemetry.attach(self.hooks)
        self.dispatcher = Dispatcher(
            self.store, self.owner, self.settings.store.lease_timeout, self.settings.queue_size
        )
        self.executor = Executor(
            self.store,
            self.dispatcher,
            self.runtimes,
            self.settings.store.lease_timeout,
            self._on_final,
            self.hooks,
        )
        self.pauses = PauseBook(self.store)
        self.executor.paused = self.pauses.function_paused
        self.pauses.on_functions_resumed(lambda: self.dispatcher.alarm.nudge(clock.now()))
        self._waiters = Waiters()
        self.flow = IntakeFlow(self.store, self.executor.cancel, self._on_final, self.hooks)
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
        await start_loops(self, self._session)
        self._started = True
        log.info("hub started", owner=self.owner, functions=len(self.functions))

    def set_functions(self, functions: Mapping[str, FunctionConfig]) -> None:
        """Apply a function set (at start and on reload); queued invocations are untouched."""
        assert self._session is not None, "start the hub first"
        batch_failures = partial(with_batch_failures, store=self.store)
        apply_functions(self.runtimes, functions, self._session, batch_failures)
        self.functions = dict(functions)
        self.flow.set_functions(self.functions)

    async def close(self, drain_timeout: float | None = None) -> None:
        """Graceful stop: no more leasing, let running attempts finish within the drain
        deadline, then hand everything still leased back to the queue and close the store."""
        if not self._started:
            return
        self._started = False
        released = await stop_loops(self, drain_timeout)
        if self._session is not None:
            await self._session.close()
        await self.store.close()
        if self.telemetry is not None:
            await self.telemetry.shutdown()
        log.info("hub stopped", released=released)

    async def submit(
        self,
        function: str,
        events: Sequence[Event | WireEvent],
        *,
        delay: float | None = None,
        not_before: float | None = None,
        checkpoint: Checkpoint | None = None,
        source: str | None = None,
        flow: LeaseFlow | None = None,
    ) -> list[Submitted]:
        """Durably queue one invocation per event; returns after the commit. A second submit
        of an event with the same idempotency key returns the first invocation's id."""
        [submitted] = await self.submit_many(
            [(function, events)],
            delay=delay,
            not_before=not_before,
            checkpoint=checkpoint,
            source=source,
            flow=flow,
        )
        return submitted

    async def submit_many(
        self,
        batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
        *,
        delay: float | None = None,
        not_before: float | None = None,
        checkpoint: Checkpoint | None = None,
        source: str | None = None,
        flow: LeaseFlow | None = None,
        origin: TriggerOrigin | None = None,
    ) -> list[list[Submitted]]:
        """Submit events to several functions (and a source checkpoint) in one commit;
        `source` (the trigger's name, say) names the receive span when tracing; `flow`
        overrides the functions' lease-side flow-control settings (a trigger's own, a request's
        priority); `origin`, the trigger they came from, for `cancel_on` and the trigger's own
        intake-side flow settings."""
        submit = partial(
            submit_batches,
            self.store,
            self.hooks,
            self.functions,
            delay,
            not_before,
            flow,
            intake=self.flow,
            origin=origin,
        )
        if self.telemetry is not None:
            return await self.telemetry.received(batches, source, submit, checkpoint)
        return await submit(batches, checkpoint)

    async def submit_together(self, parts: Sequence[Submission]) -> list[Outcome]:
        """Several sources' batches (each with its own checkpoint) in one commit where they
        can share it; one outcome per part, a refused part refusing no other."""
        return await submit_together(
            parts,
            store=self.store,
            hooks=self.hooks,
            functions=self.functions,
            intake=self.flow,
            traced=self.telemetry is not None,
            submit_one=self._submit_part,
        )

    async def _submit_part(self, part: Submission) -> list[list[Submitted]]:
        return await self.submit_many(
            part.batches,
            checkpoint=part.checkpoint,
            source=part.source,
            flow=part.flow,
            origin=part.origin,
        )

    async def get(self, invocation_id: str) -> Invocation:
        inv = await self.store.get(invocation_id)
        if inv is None:
            raise NotFoundError(f"no invocation {invocation_id!r}")
        return inv

    async def query(self, query: ListQuery) -> Page:
        return await self.store.query(query)

    async def stop(self, invocation_id: str) -> Invocation:
        return await stop_one(self, invocation_id)

    async def redrive(self, invocation_id: str) -> Invocation:
        return await redrive_one(self, invocation_id)

    async def wait(self, invocation_id: str, timeout: float | None = None) -> Invocation:
        """Wait until the invocation is final (succeeded, failed, expired or stopped)."""
        return await self._waiters.wait(invocation_id, self.get, timeout)

    def _on_final(self, inv: Invocation, status: Status) -> None:
        self.hooks.finished(inv, status, clock.now() - inv.created_at)
        self._waiters.notify(inv.id)

    async def counts(self) -> dict[str, int]:
        return await self.store.counts()

    async def backlog(self) -> int:
        """Active invocations, counted only up to just past `max_backlog`: intake asks often,
        and a full count of a huge backlog would cost more than the answer is worth."""
        return await self.store.backlog(self.settings.max_backlog + 1)

    # The rest of what intake may ask (hub.intake.port.HubPort), beside submit_many and backlog.
    @property
    def positions(self) -> InvocationStore:
        return self.store

    @property
    def max_backlog(self) -> int:
        return self.settings.max_backlog

    @property
    def lease_timeout(self) -> float:
        return self.settings.store.lease_timeout

    @property
    def store_health(self) -> StoreHealth:
        return self.store.health
