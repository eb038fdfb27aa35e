"""What fires when ticks are due: the ones late by less than the grace fire as usual; the ones
late by more (downtime, a long backlog pause, a suspended machine) follow the trigger's policy.

Pure and decided from the cursor, the first tick not yet committed. After a restart the cursor
comes from the durable last-tick record, so the same outage always gets the same answer."""

from __future__ import annotations

from dataclasses import dataclass

from triggers.timer.config import Misfire
from triggers.timer.schedule import Schedule

SCAN_LIMIT = 10_000  # ticks counted one by one before the count becomes "at least"
BATCH_MAX = 1_000  # on-time ticks handed over in one batch (the rest in the next)


@dataclass(frozen=True, slots=True)
class Rule:
    policy: Misfire
    grace_ms: int
    max_ticks: int


@dataclass(frozen=True, slots=True)
class Fire:
    scheduled: int
    missed: int | None = None  # fire_once: how many missed ticks this one stands for


@dataclass(frozen=True, slots=True)
class Plan:
    fires: tuple[Fire, ...]
    cursor: int | None  # the first tick after everything this plan handled
    missed: int = 0  # ticks late by the grace or more
    recovered: int = 0  # of the fires, how many are for missed ticks (at the front)
    exact: bool = True  # False: `missed` is a lower bound (a very long outage)


def has_missed(cursor: int, now: int, rule: Rule) -> bool:
    return cursor <= now - rule.grace_ms


def plan(
    schedule: Schedule, cursor: int, now: int, rule: Rule, scan_limit: int = SCAN_LIMIT
) -> Plan:
    """The fires for every tick from `cursor` (due: `cursor <= now`) up to `now`."""
    fires: list[Fire] = []
    missed, recovered, exact = 0, 0, True
    tick: int | None = cursor
    horizon = now - rule.grace_ms
    if cursor <= horizon:
        missed, exact = schedule.count(cursor - 1, horizon, scan_limit)
        fires += _kept(schedule, cursor - 1, horizon, missed, rule)
        recovered = len(fires)
        tick = schedule.after(horizon)
    while tick is not None and tick <= now and len(fires) - recovered < BATCH_MAX:
        fires.append(Fire(tick))
        tick = schedule.after(tick)
    return Plan(tuple(fires), tick, missed, recovered, exact)


def _kept(schedule: Schedule, floor: int, horizon: int, missed: int, rule: Rule) -> list[Fire]:
    if rule.policy == "skip" or missed == 0:
        return []
    latest = schedule.before(horizon, floor)
    if latest is None:
        return []
    if rule.policy == "fire_once":
        return [Fire(latest, missed=missed)]
    newest_first = [latest]
    while len(newest_first) < min(missed, rule.max_ticks):
        earlier = schedule.before(newest_first[-1] - 1, floor)
        if earlier is None:
            break
        newest_first.append(earlier)
    return [Fire(tick) for tick in reversed(newest_first)]
