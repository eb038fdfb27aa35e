"""Cron ticks as instants, correct across DST and other UTC offset changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from triggers.timer.base import Stepping
from triggers.timer.cron import CronSpec
from triggers.timer.times import UTC_ZONE, to_datetime, to_ms

NEAR = 26 * 3_600_000  # the largest offset change on record (Samoa skipped a day) and then some


class CronSchedule(Stepping):
    """Cron fields match wall-clock time, so APScheduler runs them in UTC over wall-clock
    times (where no DST exists) and this class maps each matching wall time to its instants.

    That sidesteps APScheduler 3's own zone arithmetic, which adds wall-clock differences as
    elapsed time and so skips a day after spring-forward (`0 0 * * *` in Europe/Berlin goes
    from 2026-03-29 to 2026-03-31). The mapping follows RFC 5545: a wall time that does not
    exist is taken with the offset before the gap (02:30 becomes 03:30 CEST); one that
    happens twice fires at its first pass, and also at its second when the hour field is
    `*` or `*/n` (an hourly job keeps one tick per real hour)."""

    def __init__(self, spec: CronSpec, zone: ZoneInfo) -> None:
        from apscheduler.triggers.combining import OrTrigger
        from apscheduler.triggers.cron import CronTrigger

        fields = spec.fields()
        self._trigger: Any
        if spec.either_day:
            by_day = CronTrigger(**(fields | {"day_of_week": "*"}), timezone=UTC_ZONE)
            by_weekday = CronTrigger(**(fields | {"day": "*"}), timezone=UTC_ZONE)
            self._trigger = OrTrigger([by_day, by_weekday])
        else:
            self._trigger = CronTrigger(**fields, timezone=UTC_ZONE)
        self._zone = zone
        self._both_passes = not spec.hour_named

    def after(self, ms: int) -> int | None:
        # Scanning from the wall time of `ms` under its own offset finds the next tick, except
        # near an offset change, where wall order and instant order differ by up to the
        # change: then scan from the wall time under each nearby offset and keep the least.
        best: int | None = None
        tried: set[int] = set()
        while untried := self._offsets_near(ms, best) - tried:
            for offset in sorted(untried):
                tried.add(offset)
                best = self._scan(ms, offset, best)
        return best

    def _scan(self, ms: int, offset: int, best: int | None) -> int | None:
        wall = ms + offset
        while best is None or wall - offset < best:
            fire = self._trigger.get_next_fire_time(None, to_datetime(wall + 1))
            if fire is None:
                return best
            wall = to_ms(fire)
            for tick in self._instants(fire.replace(tzinfo=None)):
                if tick > ms and (best is None or tick < best):
                    best = tick
        return best

    def _instants(self, wall: datetime) -> list[int]:
        first = to_ms(wall.replace(tzinfo=self._zone, fold=0))
        second = to_ms(wall.replace(tzinfo=self._zone, fold=1))
        if first < second and self._both_passes:
            return [first, second]  # fall-back repeats this wall time
        return [first]  # a DST gap (first > second) takes the offset before it

    def _offsets_near(self, ms: int, best: int | None) -> set[int]:
        probes = [ms] if best is None else [ms, best]
        return {self._offset(at + d) for at in probes for d in (-NEAR, 0, NEAR)}

    def _offset(self, ms: int) -> int:
        offset = to_datetime(ms).astimezone(self._zone).utcoffset()
        return 0 if offset is None else offset // timedelta(milliseconds=1)
