"""What a schedule answers, as absolute UTC instants in epoch milliseconds, and the parts
every kind shares: looking back and counting by stepping forward, and the start/end bounds."""

from __future__ import annotations

from typing import Protocol


class Schedule(Protocol):
    def after(self, ms: int) -> int | None:
        """The first tick strictly after `ms`; None when there is none (ended)."""

    def before(self, ms: int, floor: int) -> int | None:
        """The last tick at or before `ms` and strictly after `floor`."""

    def count(self, low: int, high: int, limit: int) -> tuple[int, bool]:
        """How many ticks lie in (low, high]; stops at `limit`, then False says 'at least'."""


class Stepping:
    """`before` and `count` for any schedule that can only step forwards."""

    def after(self, ms: int) -> int | None:
        raise NotImplementedError

    def before(self, ms: int, floor: int) -> int | None:
        # Look back over windows growing fourfold, then walk forward inside the first window
        # that has a tick: cheap for sparse schedules, bounded for dense ones.
        span = 1000
        while True:
            low = max(floor, ms - span)
            tick = self.after(low)
            if tick is not None and tick <= ms:
                while (following := self.after(tick)) is not None and following <= ms:
                    tick = following
                return tick
            if low == floor:
                return None
            span *= 4

    def count(self, low: int, high: int, limit: int) -> tuple[int, bool]:
        found = 0
        tick = self.after(low)
        while tick is not None and tick <= high:
            if found == limit:
                return found, False
            found += 1
            tick = self.after(tick)
        return found, True


class Bounded:
    """The `start` and `end` options around any schedule (both inclusive)."""

    def __init__(self, inner: Schedule, start: int | None, end: int | None) -> None:
        self._inner = inner
        self._floor = -(2**62) if start is None else start - 1
        self._end = 2**62 if end is None else end

    def after(self, ms: int) -> int | None:
        tick = self._inner.after(max(ms, self._floor))
        return tick if tick is not None and tick <= self._end else None

    def before(self, ms: int, floor: int) -> int | None:
        ms, floor = min(ms, self._end), max(floor, self._floor)
        return self._inner.before(ms, floor) if ms > floor else None

    def count(self, low: int, high: int, limit: int) -> tuple[int, bool]:
        low, high = max(low, self._floor), min(high, self._end)
        return self._inner.count(low, high, limit) if high > low else (0, True)
