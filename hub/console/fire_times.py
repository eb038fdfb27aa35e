"""A timer trigger's next fire times, in its schedule's zone, with daylight saving shown: the
same calendar arithmetic the timer itself uses (triggers/timer/schedule.py, APScheduler's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hub import clock

COUNT = 5


@dataclass(slots=True, frozen=True)
class FireTime:
    local: str  # wall-clock time in the schedule's zone, with its offset
    zone: str  # the zone's abbreviation then (CET, CEST, ...)
    utc: str
    dst: bool  # daylight saving time is in effect at this instant
    offset_changes: bool  # the UTC offset differs from the previous fire time's


def next_fire_times(config: Any, count: int = COUNT, now: float | None = None) -> list[FireTime]:
    """[] for a trigger that is not a timer, or one with no future ticks."""
    if getattr(config, "type", None) != "timer":
        return []
    from triggers.timer.schedule import build_schedule
    from triggers.timer.times import to_datetime

    schedule, zone = build_schedule(config), config.time_zone()
    out: list[FireTime] = []
    ms, previous = int((clock.now() if now is None else now) * 1000), None
    while len(out) < count and (tick := schedule.after(ms)) is not None:
        local = to_datetime(tick).astimezone(zone)
        offset = local.utcoffset()
        out.append(_shown(local, previous is not None and offset != previous))
        ms, previous = tick, offset
    return out


def _shown(local: datetime, offset_changes: bool) -> FireTime:
    return FireTime(
        local=local.isoformat(timespec="seconds"),
        zone=local.tzname() or "",
        utc=local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        dst=bool(local.dst() and local.dst() != timedelta(0)),
        offset_changes=offset_changes,
    )
