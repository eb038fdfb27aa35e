"""A wall clock the test moves by hand, and a timer kind whose sources sleep on it.

`hub.clock.now` is patched to read it, so the hub (submit times, the store) and the timer agree
on the time. A source's sleep returns only once the test has moved the clock past its deadline;
`settled(n)` says n sources have handled everything due and are asleep again."""

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
        waiting = list(self.deadlines.values())
        return len(waiting) == sleepers and all(at > self.now_s for at in waiting)


current: ManualClock | None = None


def build(config: TimerConfig, context: SourceContext) -> TimerSource:
    assert current is not None, "use the `clock` fixture"
    return TimerSource(config, context, sleep=current.sleep)


MANUAL_TIMER = TriggerKind("timer", TimerConfig, "tests.timer.clock:build")
