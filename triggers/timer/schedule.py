"""Which ticks a schedule has, as absolute UTC instants in epoch milliseconds.

APScheduler's trigger classes do the calendar arithmetic (`get_next_fire_time`); its scheduler
is not used. A scheduler owns firing, misfires and its own job store, and none of that can put
a tick in the same commit as its invocation, which is what makes each tick fire exactly once;
so the source waits on the event loop itself and only asks here what comes after an instant.

Every next tick is computed from an instant (the previous scheduled tick), never from when the
last one actually fired, so lateness never accumulates into drift."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from triggers.timer.base import Bounded, Schedule, Stepping
from triggers.timer.config import TimerConfig
from triggers.timer.cron import CronSpec
from triggers.timer.cron_ticks import CronSchedule
from triggers.timer.expressions import AtSpec, RateSpec
from triggers.timer.times import UTC_ZONE, to_datetime, to_ms

__all__ = ["Schedule", "build_schedule"]


class RateSchedule(Stepping):
    """Ticks at anchor + k * every. With no `start` the anchor is the Unix epoch, so every
    daemon (and every restart) computes the same ticks: rate(5 minutes) ticks at :00, :05..."""

    def __init__(self, every_ms: int, anchor_ms: int) -> None:
        from apscheduler.triggers.interval import IntervalTrigger

        self._every = every_ms
        self._anchor = anchor_ms
        self._trigger = IntervalTrigger(
            seconds=every_ms / 1000, start_date=to_datetime(anchor_ms), timezone=UTC_ZONE
        )

    def after(self, ms: int) -> int | None:
        tick = to_ms(self._trigger.get_next_fire_time(None, to_datetime(ms + 1)))
        # IntervalTrigger counts intervals in float seconds; settle the last step in integers
        # so a tick exactly on the grid is neither skipped nor repeated.
        while tick <= ms:
            tick += self._every
        while tick - self._every > ms and tick - self._every >= self._anchor:
            tick -= self._every
        return tick

    def before(self, ms: int, floor: int) -> int | None:
        if ms < self._anchor:
            return None
        tick = self._anchor + (ms - self._anchor) // self._every * self._every
        return tick if tick > floor else None

    def count(self, low: int, high: int, limit: int) -> tuple[int, bool]:
        return max(0, self._upto(high) - self._upto(low)), True

    def _upto(self, ms: int) -> int:
        return (ms - self._anchor) // self._every + 1 if ms >= self._anchor else 0


class OnceSchedule(Stepping):
    def __init__(self, spec: AtSpec, zone: ZoneInfo) -> None:
        from apscheduler.triggers.date import DateTrigger

        trigger = DateTrigger(run_date=spec.when, timezone=zone)
        self._tick = to_ms(trigger.get_next_fire_time(None, spec.when))

    def after(self, ms: int) -> int | None:
        return self._tick if self._tick > ms else None


def build_schedule(config: TimerConfig) -> Schedule:
    spec, zone = config.spec(), config.time_zone()
    start = None if config.start is None else to_ms(config.start)
    end = None if config.end is None else to_ms(config.end)
    inner: Schedule
    if isinstance(spec, CronSpec):
        inner = CronSchedule(spec, zone)
    elif isinstance(spec, RateSpec):
        inner = RateSchedule(spec.every_ms, 0 if start is None else start)
    else:
        inner = OnceSchedule(spec, zone)
    return Bounded(inner, start, end)
