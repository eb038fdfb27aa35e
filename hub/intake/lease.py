"""The lease a single-reader trigger (a timer, a change stream, a file tail) holds in the store,
so that of several daemons sharing one PostgreSQL store exactly one reads its source.

The holder renews it every third of `lease_timeout`; the others stand by and try again at the
same pace, so when the holder dies its trigger moves to another daemon within about
`lease_timeout`. A holder that stops gives the lease up at once. Should a stalled holder find
its lease taken on renewal, `lost` is set and the runner stops reading."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import structlog

from hub import clock
from hub.errors import TriggerHubError
from hub.intake.port import HubPort
from hub.supervisor import Supervisor

log = structlog.get_logger("hub.intake")
RELEASE_TIMEOUT = 5.0


class LeaseLost(TriggerHubError):
    """Another daemon holds the trigger's source lease now: stop reading, stand by."""


class SourceLease:
    def __init__(self, hub: HubPort, trigger: str, loops: Supervisor) -> None:
        self._positions = hub.positions
        self._owner = hub.owner
        self._trigger = trigger
        self._name = f"trigger:{trigger}"
        self._timeout = hub.lease_timeout
        self._loops = loops
        self._log = log.bind(trigger=trigger)
        self.lost = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None
        self._guard: asyncio.Timeout | None = None

    @property
    def held(self) -> bool:
        return self._renewer is not None and not self.lost.is_set()

    async def hold(self, on_standby: Callable[[str], None]) -> None:
        """Return once this daemon holds the lease (at once when it already does)."""
        if self.held:
            return
        self._stop_renewing()
        self.lost.clear()
        waiting_for: str | None = None
        while True:
            holder = await self._claim()
            if holder == self._owner:
                break
            if holder != waiting_for:
                waiting_for = holder
                on_standby(holder)
                self._log.info("standing by: another daemon reads this source", holder=holder)
            await asyncio.sleep(self._timeout / 3)
        if waiting_for is not None:
            self._log.info("took over the source lease", previous=waiting_for)
        self._renewer = self._loops.spawn(f"lease:{self._name}", self._renew)

    @contextlib.asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """Run the block (a read) until it ends or the lease is lost, however long it waits;
        once lost, LeaseLost: what was read is not acked, the new holder reads it again."""
        try:
            async with asyncio.timeout(None) as self._guard:
                if self.lost.is_set():
                    self._guard.reschedule(asyncio.get_running_loop().time())
                yield
        except TimeoutError:
            if not self.lost.is_set():
                raise
        finally:
            self._guard = None
        if self.lost.is_set():
            raise LeaseLost(f"trigger {self._trigger!r}")

    async def release(self) -> None:
        held = self._renewer is not None
        self._stop_renewing()
        if not held or self.lost.is_set():
            return
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT):
                await self._positions.release_source(self._name, self._owner)
        except Exception as exc:
            # It then runs out after lease_timeout, which only delays the takeover.
            self._log.warning("giving up the source lease failed", error=repr(exc))

    async def _claim(self) -> str:
        now = clock.now()
        return await self._positions.claim_source(self._name, self._owner, now, now + self._timeout)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._timeout / 3)
            try:
                holder = await self._claim()
            except Exception as exc:
                # A store hiccup: try again next time; only another holder means it is lost.
                self._log.warning("renewing the source lease failed", error=repr(exc))
                continue
            if holder != self._owner:
                self._log.warning("the source lease was taken over", holder=holder)
                self.lost.set()
                if self._guard is not None:
                    self._guard.reschedule(asyncio.get_running_loop().time())
                return

    def _stop_renewing(self) -> None:
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.cancel()
