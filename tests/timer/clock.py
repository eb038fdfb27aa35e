"""A wall clock the test moves by hand, and a timer kind whose sources sleep on it.

`hub.clock.now` is patched to read it, so the hub (submit times, the store) and the timer agree
on the time. A source's sleep returns only once the test has moved the clock past its deadline;
`settled(n)` says n sleepers have handled everything due and are asleep again: a trigger set's
timers share one sleeper (triggers/timer/instants.py), so n counts trigger sets."""

from __future__ import annotations

import asyncio
import itertools

from hub.plugins import SourceContext, TriggerKind
from triggers.timer.config import TimerConfig
from triggers.timer.source import TimerSource


class ManualClock:
    def __init__(self, start: float) -> None:
        self.now_s = start
        self.deadlines: dict[int, float] = {}
        self._ids = itertools.count()
        self._moved = asyncio.Condition()
        self.waiting: dict[int, int] = {}  # a source waiting for its tick: its scheduler

    def now(self) -> float:
        return self.now_s

    async def sleep(self, delay: float) -> None:
        key = next(self._ids)
        self.deadlines[key] = self.now_s + delay
        try:
            async with self._moved:
                await self._moved.wait_for(lambda: self.now_s >= self.deadlines[key])
        finally:
            del self.deadlines[key]

    async def set(self, when: float) -> None:
        self.now_s = when
        async with self._moved:
            self._moved.notify_all()

    def settled(self, sleepers: int = 1) -> bool:
        naps = list(self.deadlines.values())
        schedulers = len(set(self.waiting.values()))
        return (
            len(self.waiting) == sleepers
            and len(naps) == schedulers
            and all(at > self.now_s for at in naps)
        )


current: ManualClock | None = None


class ManualTimerSource(TimerSource):
    """The timer source, telling the clock while it waits for its tick."""

    def __init__(self, config: TimerConfig, context: SourceContext, clock: ManualClock) -> None:
        super().__init__(config, context, sleep=clock.sleep)
        self._clock = clock

    async def _wait(self, tick: int) -> None:
        self._clock.waiting[id(self)] = id(self._instants)
        try:
            await super()._wait(tick)
        finally:
            del self._clock.waiting[id(self)]


def build(config: TimerConfig, context: SourceContext) -> TimerSource:
    assert current is not None, "use the `clock` fixture"
    return ManualTimerSource(config, context, current)


MANUAL_TIMER = TriggerKind("timer", TimerConfig, "tests.timer.clock:build")
