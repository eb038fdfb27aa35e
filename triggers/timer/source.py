"""The timer source: waits until the next tick's instant, then hands the tick to the hub with
the tick itself as the checkpoint, so the invocation and the durable last-tick record commit
together (and a second daemon's copy of the tick is refused by its idempotency key).

The waiting is done by the trigger set's one scheduler (instants.py), which also submits the
usual on-time tick itself, together with every other timer's tick of that instant; the rest
(missed ticks, a batch given back) this source's `read()` hands to its runner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from hub import clock
from hub.eventcheck import InvalidEvent, check_storable
from hub.events import WireEvent
from hub.intake.together import DirectIntake
from hub.plugins import Batch, EndOfInput, SourceContext
from hub.plugins.contract import WrittenBatch
from hub.store.base import Checkpoint
from triggers.timer.config import TimerConfig
from triggers.timer.event import tick_event
from triggers.timer.instants import InstantScheduler
from triggers.timer.misfire import Fire, Plan, Rule, has_missed, plan
from triggers.timer.schedule import build_schedule
from triggers.timer.times import rfc3339_ms, seconds_to_ms

Sleep = Callable[[float], Awaitable[None]]


class TimerSource:
    lag_unit = "seconds"

    def __init__(
        self, config: TimerConfig, context: SourceContext, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.trigger = context.trigger
        self.checkpoint_name = f"timer:{context.trigger}"
        self._config = config
        self._schedule = build_schedule(config)
        self._rule = Rule(config.misfire, seconds_to_ms(config.misfire_grace), config.misfire_max)
        self._get_checkpoint = context.get_checkpoint
        self._sleep = sleep
        self._log = context.log.bind(schedule=config.schedule, misfire=config.misfire)
        self._cursor: int | None = None  # the first tick not yet handed to the hub
        self._ahead: tuple[int | None] | None = None  # (the tick after the cursor,) once known
        self._returned: Batch | None = None  # nacked: hand it out again
        self._lateness: float | None = None
        self._last: int | None = None  # the last tick durably recorded, as far as we know
        self._intake: DirectIntake | None = None
        self._writable = _writable(config, context.trigger)
        # Alone (no runner lent its intake) it waits on a scheduler of its own, which hands
        # every tick back to read().
        self._instants = InstantScheduler(None, sleep, context.loops)

    def attach(self, intake: DirectIntake) -> None:
        """The runner's intake: this timer's on-time ticks are submitted with the others'."""
        self._intake = intake
        self._instants = InstantScheduler.of(intake, self._sleep)

    async def connect(self) -> None:
        last = self._last = self._parse_tick(await self._get_checkpoint(self.checkpoint_name))
        now = seconds_to_ms(clock.now())
        # No record yet: a first start, and nothing in the past fires.
        self._cursor = self._schedule.after(now - 1 if last is None else last)
        self._ahead = None
        self._returned = None
        self._log.info(
            "timer ready",
            last_tick=_shown(last),
            next_tick=_shown(self._cursor),
        )

    async def read(self) -> Batch:
        while True:
            if self._returned is not None:
                batch, self._returned = self._returned, None
                return batch
            cursor = self._cursor
            if cursor is None:
                raise EndOfInput("the schedule has no more ticks")
            now = clock.now()
            if cursor / 1000 > now:
                self._look_ahead(cursor)
                await self._wait(cursor)
                continue  # the wall clock decides, not the scheduler that woke us
            now_ms = max(cursor, int(now * 1000))
            if self._ahead is not None and self._alone(cursor, self._ahead[0], now_ms):
                self._cursor, self._ahead = self._ahead[0], None
                return self._batch((Fire(cursor),))
            due = await self._plan(cursor, now_ms)
            self._cursor, self._ahead = due.cursor, None
            if due.missed:
                self._report(due)
            if due.fires:
                return self._batch(due.fires)

    async def _wait(self, tick: int) -> None:
        await self._instants.wait(self, tick)

    # What the scheduler asks (instants.Timer) while read() waits in it.

    def fires_directly(self, now_ms: int) -> bool:
        cursor, ahead = self._cursor, self._ahead
        return (
            cursor is not None
            and ahead is not None
            and self._returned is None
            and self._intake is not None
            and self._intake.ready
            and self._alone(cursor, ahead[0], now_ms)
        )

    def tick_batch(self) -> tuple[DirectIntake, Batch]:
        assert self._cursor is not None and self._intake is not None
        return self._intake, self._batch((Fire(self._cursor),), in_place=True)

    def next_tick(self) -> int | None:
        cursor = self._cursor
        if cursor is not None:
            self._look_ahead(cursor)
        return cursor

    async def _acked_in_place(self, last: int) -> None:
        if self._cursor == last and self._ahead is not None:
            self._cursor, self._ahead = self._ahead[0], None
        await self._acked(last)

    def _look_ahead(self, cursor: int) -> None:
        # The tick after the next one is worked out while waiting, so nothing but building
        # the event stands between waking up and the submit (1,000 timers share one instant).
        if self._ahead is None:
            self._ahead = (self._schedule.after(cursor),)

    def _alone(self, cursor: int, ahead: int | None, now_ms: int) -> bool:
        """The usual case: this tick is due, on time, and the next one is not due yet."""
        return (ahead is None or ahead > now_ms) and not has_missed(cursor, now_ms, self._rule)

    async def close(self) -> None:
        await self._instants.settle(self)  # a tick being committed lands before we go
        self._returned = None

    def lag(self) -> float | None:
        """Seconds from the last tick's scheduled instant to its durable commit."""
        return self._lateness

    def detail(self) -> dict[str, Any]:
        """The `detail` of the trigger's status."""
        return {
            "last_tick": _shown(self._last),
            "next_tick": _shown(self._cursor),
            "lateness": self._lateness,
        }

    async def _plan(self, cursor: int, now: int) -> Plan:
        if not has_missed(cursor, now, self._rule):
            return plan(self._schedule, cursor, now, self._rule)
        # Counting a long outage's ticks can take seconds: keep the loop free for the others.
        return await asyncio.to_thread(plan, self._schedule, cursor, now, self._rule)

    def _batch(self, fires: tuple[Fire, ...], in_place: bool = False) -> Batch:
        """`in_place`: the cursor is still on the tick, and moves on when it is acked."""
        fired_at = clock.now()
        config = self._config
        events = [
            tick_event(self.trigger, config.schedule, config.data, f.scheduled, fired_at, f.missed)
            for f in fires
        ]
        last = fires[-1].scheduled
        checkpoint = Checkpoint(self.checkpoint_name, str(last))
        batch: Batch
        if self._writable:
            written = [WireEvent.of(event) for event in events]
            batch = WrittenBatch(events, checkpoint=checkpoint, written=written)
        else:
            batch = Batch(events, checkpoint=checkpoint)
        batch.on_ack = partial(self._acked_in_place if in_place else self._acked, last)
        batch.on_nack = partial(self._nacked, batch)
        return batch

    async def _acked(self, last: int) -> None:
        self._last = last
        self._lateness = clock.now() - last / 1000

    async def _nacked(self, batch: Batch, reason: str) -> None:
        self._returned = batch
        self._log.warning("tick not queued; it will be handed over again", reason=reason)

    def _report(self, due: Plan) -> None:
        fields = {
            "missed": due.missed,
            "missed_is_lower_bound": not due.exact,
            "resume_at": _shown(due.cursor),
        }
        if self._config.misfire == "skip":
            self._log.warning("missed ticks skipped", **fields)
        elif self._config.misfire == "fire_once":
            self._log.warning("missed ticks coalesced into one invocation", **fields)
        else:
            dropped = due.missed - due.recovered
            self._log.warning(
                "missed ticks fired", fired=due.recovered, dropped_oldest=dropped, **fields
            )

    def _parse_tick(self, stored: str | None) -> int | None:
        if stored is None:
            return None
        try:
            return int(stored)
        except ValueError:
            self._log.error("last-tick record unreadable; starting afresh", value=stored)
            return None


def _writable(config: TimerConfig, trigger: str) -> bool:
    """Whether every tick can be stored as written: only the user's `data` could make one
    too deep, and it is the same in every tick, so one sample tells (else intake checks each
    and stores a stand-in that says why)."""
    try:
        check_storable(tick_event(trigger, config.schedule, config.data, 0, 0.0, 0))
    except InvalidEvent:
        return False
    return True


def _shown(tick: int | None) -> str | None:
    return None if tick is None else rfc3339_ms(tick)


def build(config: TimerConfig, context: SourceContext) -> TimerSource:
    return TimerSource(config, context)
