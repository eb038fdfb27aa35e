"""One trigger's loop: connect, wait for room in the backlog, read a batch, submit it (see
submit.py), and on failure close, back off and connect again. The plugin only says how; the
loop, the backoff, the crash handling and the backpressure live here, once for every kind."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from hub.config.functions import Backoff
from hub.config.triggers import TriggerConfig
from hub.intake.backlog import BacklogGate
from hub.intake.lease import LeaseLost, SourceLease
from hub.intake.port import HubPort
from hub.intake.submit import BatchSubmitter
from hub.intake.together import DirectIntake, SharedIntake, TakesDirectIntake
from hub.intake.trigger_status import TriggerState, TriggerStatus
from hub.plugins.contract import (
    BackOff,
    Batch,
    EndOfInput,
    Pausable,
    ReportsDetail,
    ReportsGaps,
    ReportsLag,
    ReportsLagDetail,
    ReportsLagUnit,
    Source,
    SourceFailed,
)
from hub.retry import compute_backoff
from hub.supervisor import Supervisor

log = structlog.get_logger("hub.intake")
RECONNECT = Backoff(initial=0.5, multiplier=2.0, max=30.0, jitter=True)
CLOSE_TIMEOUT = 10.0


class TriggerRunner:
    def __init__(
        self,
        name: str,
        config: TriggerConfig,
        source: Source,
        hub: HubPort,
        *,
        loops: Supervisor,
        gate: BacklogGate | None = None,
        reconnect: Backoff = RECONNECT,
        shared: SharedIntake | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.source = source
        self.hub = hub
        self.status = TriggerStatus(type=config.type, functions=list(config.function))
        self._gate = gate or BacklogGate(hub.backlog, hub.max_backlog, health=hub.store_health)
        self._reconnect = reconnect
        self._submit = BatchSubmitter(hub, config, self.status, self._gate, name)
        self._log = log.bind(trigger=name, type=config.type)
        self._failures = 0
        self._runs = 0
        self._busy = False  # a batch is between read and ack: let it finish on stop
        self._open = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._loops = loops
        self._lease = SourceLease(hub, name, loops) if config.single_reader() else None
        if shared is not None and isinstance(source, TakesDirectIntake):
            source.attach(DirectIntake(shared, self._submit, self._reading, self._succeeded))

    def _reading(self) -> bool:
        """Whether this runner would read now (a source submitting directly asks)."""
        held = self._lease is None or self._lease.held
        return self.status.state is TriggerState.CONNECTED and not self._stopping and held

    def _succeeded(self) -> None:
        self._failures = 0

    def start(self) -> None:
        self._task = self._loops.spawn(f"trigger:{self.name}", self.run)

    def request_stop(self) -> None:
        """Stop intake: a read or a wait is cancelled now, a batch being submitted finishes."""
        self._stopping = True
        if self._task is not None and not self._busy:
            self._task.cancel()

    async def wait_stopped(self, timeout: float) -> None:
        task = self._task
        if task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.gather(asyncio.shield(task), return_exceptions=True)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if self.status.state not in (TriggerState.ENDED, TriggerState.FAILED):
            self.status.state = TriggerState.STOPPED

    def snapshot(self) -> TriggerStatus:
        if isinstance(self.source, ReportsLag):
            with contextlib.suppress(Exception):
                self.status.lag = self.source.lag()
            if isinstance(self.source, ReportsLagUnit):
                self.status.lag_unit = self.source.lag_unit
        if isinstance(self.source, ReportsLagDetail):
            with contextlib.suppress(Exception):
                self.status.lag_detail = self.source.lag_detail()
        if isinstance(self.source, ReportsDetail):
            with contextlib.suppress(Exception):
                self.status.detail = self.source.detail()
        if isinstance(self.source, ReportsGaps):
            with contextlib.suppress(Exception):
                self.status.gaps = self.source.gaps()
        return self.status

    async def run(self) -> None:
        self._runs += 1
        if self._runs > 1:  # the supervisor restarted us after a crash of our own
            self.status.restarts += 1
        try:
            await self._run()
        finally:
            await self._close()
            if self._lease is not None:
                await self._lease.release()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._hold()
                await self._connect()
                await self._pump()
                return
            except LeaseLost:
                self._log.warning("another daemon took this trigger over; standing by")
                await self._close()
            except EndOfInput:
                self._ended()
                return
            except SourceFailed as exc:
                self._failed(exc)
                return
            except Exception as exc:
                await self._recover(exc)

    async def _hold(self) -> None:
        if self._lease is not None:
            await self._lease.hold(self._standby)

    def _standby(self, holder: str) -> None:
        self.status.state = TriggerState.STANDBY
        self.status.last_error = None

    async def _connect(self) -> None:
        self._open = True
        while True:
            try:
                await self.source.connect()
            except BackOff as signal:
                await asyncio.sleep(signal.seconds)
                continue
            self.status.state = TriggerState.CONNECTED
            self._log.info("trigger connected", functions=self.status.functions)
            return

    async def _recover(self, exc: Exception) -> None:
        self._failures += 1
        delay = compute_backoff(self._failures, self._reconnect)
        self.status.state = TriggerState.RECONNECTING
        self.status.last_error = repr(exc)
        self.status.restarts += 1
        self._log.error(
            "trigger source failed; reconnecting",
            error=repr(exc),
            failures=self._failures,
            reconnect_in=round(delay, 3),
            exc_info=exc,
        )
        await self._close()
        await asyncio.sleep(delay)

    async def _pump(self) -> None:
        while not self._stopping:
            await self._gate.admit(self._pause)
            if self.status.state is TriggerState.PAUSED:
                await self._resume()
            batch = await self._read()
            self._busy = True
            try:
                refused = await self._submit(batch)
            finally:
                self._busy = False
            if refused is None:
                self._failures = 0
            elif not self._stopping:
                await self._back_off(refused, len(batch.events))

    async def _back_off(self, exc: Exception, events: int) -> None:
        if not self._gate.health.writable:
            # The gate holds intake until the store writes again: no extra wait on top.
            self._log.warning("submit failed; batch returned to the source", error=repr(exc))
            return
        self._failures += 1
        delay = compute_backoff(self._failures, self._reconnect)
        self._log.error(
            "submit failed; batch returned to the source",
            error=repr(exc),
            events=events,
            retry_in=round(delay, 3),
        )
        await asyncio.sleep(delay)

    async def _read(self) -> Batch:
        while True:
            try:
                if self._lease is None:
                    return await self.source.read()
                return await self._read_holding(self._lease)
            except BackOff as signal:
                await asyncio.sleep(signal.seconds)

    async def _read_holding(self, lease: SourceLease) -> Batch:
        """A read that ends as soon as the lease is lost, however long the source waits."""
        async with lease.guard():
            return await self.source.read()

    async def _pause(self) -> None:
        self.status.state = TriggerState.PAUSED
        self._log.info("trigger paused", reason=self._gate.reason)
        if isinstance(self.source, Pausable):
            await self.source.pause()

    async def _resume(self) -> None:
        if isinstance(self.source, Pausable):
            await self.source.resume()
        self.status.state = TriggerState.CONNECTED
        self._log.info("trigger resumed")

    def _failed(self, exc: SourceFailed) -> None:
        self.status.state = TriggerState.FAILED
        self.status.last_error = str(exc)
        self._log.error("trigger failed; it stays stopped until reloaded", error=str(exc))

    def _ended(self) -> None:
        self.status.state = TriggerState.ENDED
        self._log.info("trigger source ended")

    async def _close(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.source.close()
        except Exception as exc:
            self._log.warning("closing the trigger source failed", error=repr(exc))
