"""The misfire plan alone: which ticks fire when the cursor (the first tick not yet committed)
is behind the clock, for each policy and grace."""

from __future__ import annotations

from typing import Any

from tests.timer.conftest import T0, timer
from triggers.timer.misfire import Fire, Plan, Rule, plan
from triggers.timer.schedule import Schedule, build_schedule

T = round(T0 * 1000)
S, M = 1000, 60_000


def minutely(**fields: Any) -> Schedule:
    return build_schedule(timer("rate(1 minute)", **fields))


def rule(policy: Any = "skip", grace: int = 10 * S, most: int = 100) -> Rule:
    return Rule(policy, grace, most)


def test_an_on_time_tick_just_fires() -> None:
    assert plan(minutely(), T, T + 3, rule()) == Plan((Fire(T),), T + M)


def test_a_tick_late_by_less_than_the_grace_fires_under_any_policy() -> None:
    # A restart that took 2 s does not lose the tick that fell inside it.
    for policy in ("skip", "fire_once", "fire_all"):
        assert plan(minutely(), T, T + 2 * S, rule(policy)) == Plan((Fire(T),), T + M)


def test_late_by_the_grace_or_more_is_missed() -> None:
    assert plan(minutely(), T, T + 10 * S, rule(grace=10 * S)) == Plan((), T + M, missed=1)


def test_skip_fires_nothing_for_missed_ticks_and_resumes_with_the_next() -> None:
    # Last committed tick T; down until T + 30m05s. Ticks T+1m .. T+29m are missed; T+30m is
    # only 5 s late, inside the grace, so it fires as usual.
    outage = plan(minutely(), T + M, T + 30 * M + 5 * S, rule("skip"))
    assert outage == Plan((Fire(T + 30 * M),), T + 31 * M, missed=29)


def test_fire_once_coalesces_the_missed_ticks_into_the_latest() -> None:
    outage = plan(minutely(), T + M, T + 30 * M + 5 * S, rule("fire_once"))
    assert outage == Plan(
        (Fire(T + 29 * M, missed=29), Fire(T + 30 * M)), T + 31 * M, missed=29, recovered=1
    )


def test_fire_all_fires_every_missed_tick() -> None:
    outage = plan(minutely(), T + M, T + 30 * M + 5 * S, rule("fire_all"))
    assert outage.fires == tuple(Fire(T + k * M) for k in range(1, 31))
    assert (outage.missed, outage.recovered, outage.cursor) == (29, 29, T + 31 * M)


def test_fire_all_keeps_the_newest_up_to_misfire_max() -> None:
    outage = plan(minutely(), T + M, T + 30 * M + 5 * S, rule("fire_all", most=10))
    assert outage.fires == tuple(Fire(T + k * M) for k in range(20, 31))
    assert (outage.missed, outage.recovered) == (29, 10)


def test_a_missed_one_time_tick() -> None:
    once = build_schedule(timer("at(2026-01-01T00:00:00Z)"))
    assert plan(once, T, T + 3600 * S, rule("skip")) == Plan((), None, missed=1)
    assert plan(once, T, T + 3600 * S, rule("fire_once")) == Plan(
        (Fire(T, missed=1),), None, missed=1, recovered=1
    )


def test_a_missed_window_past_the_end_time() -> None:
    bounded = minutely(end="2026-01-01T00:05:00Z")
    outage = plan(bounded, T + M, T + 3600 * S, rule("fire_all"))
    assert outage == Plan(tuple(Fire(T + k * M) for k in range(1, 6)), None, 5, 5)


def test_a_week_of_per_second_ticks_is_cheap_for_rates_and_bounded_for_cron() -> None:
    week = 7 * 86400 * S
    every_second = build_schedule(timer("rate(1 second)"))
    outage = plan(every_second, T + S, T + week, rule("fire_once"))
    on_time = tuple(Fire(T + week - k * S) for k in range(9, -1, -1))
    assert outage.fires == (Fire(T + week - 10 * S, missed=week // S - 10), *on_time)
    cron = build_schedule(timer("* * * * * *"))
    outage = plan(cron, T + S, T + week, rule("fire_once"), scan_limit=100)
    assert (outage.missed, outage.exact) == (100, False)  # "at least 100"
    assert outage.fires[0] == Fire(T + week - 10 * S, missed=100)
    assert outage.cursor == T + week + S
