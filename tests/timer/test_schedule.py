"""The schedule arithmetic with chosen instants: cron, time zones and DST, rates, one time,
start/end, and no drift. Nothing here waits."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.timer.conftest import timer
from triggers.timer.schedule import Schedule, build_schedule
from triggers.timer.times import to_datetime, to_ms

BERLIN = ZoneInfo("Europe/Berlin")


def schedule(expr: str, **fields: Any) -> Schedule:
    return build_schedule(timer(expr, **fields))


def ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text))


def ticks(sched: Schedule, after: str, count: int) -> list[int]:
    out: list[int] = []
    tick = sched.after(ms(after))
    while tick is not None and len(out) < count:
        out.append(tick)
        tick = sched.after(tick)
    return out


def local(found: list[int], zone: ZoneInfo = BERLIN) -> list[str]:
    return [to_datetime(t).astimezone(zone).isoformat() for t in found]


def utc(found: list[int]) -> list[str]:
    return [to_datetime(t).isoformat().replace("+00:00", "Z") for t in found]


def test_cron_with_seconds() -> None:
    found = ticks(schedule("*/15 * * * * *"), "2026-01-01T00:00:07+00:00", 4)
    assert utc(found) == [
        "2026-01-01T00:00:15Z",
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:00:45Z",
        "2026-01-01T00:01:00Z",
    ]


def test_five_fields_fire_on_second_zero() -> None:
    found = ticks(schedule("*/20 * * * *"), "2026-01-01T00:00:00+00:00", 3)
    assert utc(found) == ["2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z"]


@pytest.mark.parametrize("weekday", ["0", "7", "sun", "SUN"])
def test_weekday_zero_and_seven_are_sunday(weekday: str) -> None:
    found = ticks(schedule(f"0 0 * * {weekday}"), "2026-01-01T00:00:00+00:00", 3)
    assert [to_datetime(t).strftime("%a %d") for t in found] == ["Sun 04", "Sun 11", "Sun 18"]


def test_day_of_month_or_weekday_as_unix_cron_does() -> None:
    found = ticks(schedule("0 9 13 * 5"), "2026-02-01T00:00:00+00:00", 6)
    assert [to_datetime(t).strftime("%a %d") for t in found] == [
        "Fri 06",
        "Fri 13",
        "Fri 20",
        "Fri 27",
        "Fri 06",  # March
        "Fri 13",
    ]
    found = ticks(schedule("0 9 13 * 1"), "2026-02-01T00:00:00+00:00", 3)
    assert [to_datetime(t).strftime("%a %d") for t in found] == ["Mon 02", "Mon 09", "Fri 13"]


def test_time_zone_option_and_cron_tz_prefix_agree() -> None:
    by_option = ticks(schedule("0 9 * * *", timezone="Asia/Shanghai"), "2026-06-01T00:00Z", 2)
    by_prefix = ticks(schedule("CRON_TZ=Asia/Shanghai 0 9 * * *"), "2026-06-01T00:00Z", 2)
    assert utc(by_option) == utc(by_prefix) == ["2026-06-01T01:00:00Z", "2026-06-02T01:00:00Z"]


def test_spring_forward_a_daily_tick_in_the_gap_fires_once_an_hour_later() -> None:
    # 2026-03-29 02:00 CET becomes 03:00 CEST: 02:30 does not exist that day. As RFC 5545
    # reads it, it is taken with the offset before the gap: 03:30 CEST.
    found = ticks(schedule("30 2 * * *", timezone="Europe/Berlin"), "2026-03-27T00:00Z", 4)
    assert local(found) == [
        "2026-03-27T02:30:00+01:00",
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
    ]


def test_midnight_after_spring_forward_is_not_skipped() -> None:
    # APScheduler 3's CronTrigger in Europe/Berlin goes from 03-29 straight to 03-31 here.
    found = ticks(schedule("0 0 * * *", timezone="Europe/Berlin"), "2026-03-28T12:00Z", 3)
    assert local(found) == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-31T00:00:00+02:00",
    ]


def test_spring_forward_two_hours_that_meet_in_the_gap_fire_once() -> None:
    found = ticks(schedule("30 2,3 * * *", timezone="Europe/Berlin"), "2026-03-29T00:00Z", 3)
    assert local(found) == [
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-30T03:30:00+02:00",
    ]


def test_spring_forward_hourly_loses_no_real_hour() -> None:
    found = ticks(schedule("0 * * * *", timezone="Europe/Berlin"), "2026-03-28T23:30Z", 4)
    assert local(found) == [
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T03:00:00+02:00",  # one real hour later: 02:00 CET never happens
        "2026-03-29T04:00:00+02:00",
        "2026-03-29T05:00:00+02:00",
    ]
    assert {b - a for a, b in pairwise(found)} == {3_600_000}


def test_fall_back_hourly_fires_in_both_passes_of_the_repeated_hour() -> None:
    # 2026-10-25 03:00 CEST becomes 02:00 CET: the hour from 02:00 is lived twice.
    found = ticks(schedule("0 * * * *", timezone="Europe/Berlin"), "2026-10-24T22:30Z", 5)
    assert local(found) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T04:00:00+01:00",
    ]
    assert {b - a for a, b in pairwise(found)} == {3_600_000}


def test_fall_back_a_fixed_hour_fires_at_the_first_pass_only() -> None:
    daily = ticks(schedule("30 2 * * *", timezone="Europe/Berlin"), "2026-10-24T00:00Z", 3)
    assert local(daily) == [
        "2026-10-24T02:30:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]
    halves = ticks(schedule("*/30 2 * * *", timezone="Europe/Berlin"), "2026-10-24T23:00Z", 3)
    assert local(halves) == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:00:00+01:00",
    ]


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]
)
@pytest.mark.parametrize("expr", ["30 2 * * *", "0 0 * * *", "15 1 * * *"])
def test_a_daily_schedule_fires_once_every_local_day_of_the_year(zone: str, expr: str) -> None:
    tz = ZoneInfo(zone)
    first = datetime(2025, 12, 31, 23, 59, tzinfo=tz)
    found = ticks(schedule(expr, timezone=zone), first.isoformat(), 365)
    assert found == sorted(set(found))
    days = Counter(to_datetime(t).astimezone(tz).date() for t in found)
    assert days == Counter(date(2026, 1, 1) + timedelta(days=n) for n in range(365))


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_an_hourly_schedule_is_one_real_hour_apart_all_year(zone: str) -> None:
    found = ticks(schedule("0 * * * *", timezone=zone), "2026-01-01T00:00Z", 24 * 365)
    assert {b - a for a, b in pairwise(found)} == {3_600_000}


def test_rate_ticks_are_aligned_to_the_epoch_so_every_daemon_agrees() -> None:
    assert utc(ticks(schedule("rate(7 minutes)"), "2026-01-01T00:00Z", 2)) == [
        "2026-01-01T00:07:00Z",  # 1767225600 is a multiple of 420
        "2026-01-01T00:14:00Z",
    ]
    quarter = ticks(schedule("rate(250 milliseconds)"), "2026-01-01T00:00:00.100+00:00", 3)
    assert [t % 1_767_225_600_000 for t in quarter] == [250, 500, 750]


def test_rate_with_a_start_counts_from_the_start() -> None:
    sched = schedule("@every 1m30s", start="2026-01-01T00:00:10Z")
    assert utc(ticks(sched, "2025-12-31T00:00Z", 3)) == [
        "2026-01-01T00:00:10Z",
        "2026-01-01T00:01:40Z",
        "2026-01-01T00:03:10Z",
    ]


@given(st.integers(min_value=0, max_value=2**44), st.sampled_from([1, 7, 100, 250, 1000, 90_000]))
def test_rate_after_is_the_next_grid_point(at: int, every: int) -> None:
    sched = schedule(f"@every {every}ms")
    assert sched.after(at) == (at // every + 1) * every
    assert sched.before(at, -1) == at // every * every
    assert sched.after(at // every * every) == (at // every + 1) * every


def test_no_drift_over_ten_thousand_ticks() -> None:
    base = ms("2026-01-01T00:00:00+00:00")
    for expr, every in [("rate(100 milliseconds)", 100), ("@every 1m30s", 90_000)]:
        found = ticks(schedule(expr), "2026-01-01T00:00:00+00:00", 10_000)
        assert found == [base + every * (k + 1) for k in range(10_000)]
    seconds = ticks(schedule("*/1 * * * * *"), "2026-01-01T00:00:00+00:00", 10_000)
    assert seconds == [base + 1000 * (k + 1) for k in range(10_000)]


def test_one_time() -> None:
    sched = schedule("at(2026-12-01T10:00:00+08:00)")
    tick = ms("2026-12-01T02:00:00+00:00")
    assert sched.after(tick - 1) == tick
    assert sched.after(tick) is None
    assert sched.before(tick + 5, 0) == tick
    naive = schedule("at(2026-12-01T10:00:00)", timezone="Asia/Shanghai")
    assert naive.after(0) == tick


def test_start_and_end_bound_the_ticks() -> None:
    sched = schedule("0 * * * *", start="2026-01-01T10:30:00Z", end="2026-01-01T13:00:00Z")
    assert utc(ticks(sched, "2026-01-01T00:00Z", 10)) == [
        "2026-01-01T11:00:00Z",
        "2026-01-01T12:00:00Z",
        "2026-01-01T13:00:00Z",  # end is inclusive; nothing after it
    ]
    assert sched.before(ms("2026-01-02T00:00:00+00:00"), 0) == ms("2026-01-01T13:00:00+00:00")
    assert sched.count(0, ms("2026-01-02T00:00:00+00:00"), 100) == (3, True)


@pytest.mark.parametrize("expr", ["*/7 * * * *", "0 9-17 * * mon-fri", "rate(13 minutes)"])
def test_before_and_count_agree_with_stepping_forward(expr: str) -> None:
    sched = schedule(expr)
    low, high = ms("2026-01-01T00:00:00+00:00"), ms("2026-01-08T00:00:00+00:00")
    every: list[int] = []
    tick = sched.after(low)
    while tick is not None and tick <= high:
        every.append(tick)
        tick = sched.after(tick)
    assert sched.count(low, high, 100_000) == (len(every), True)
    assert sched.before(high, low) == every[-1]
    assert sched.before(every[3] - 1, low) == every[2]
    assert sched.before(every[0] - 1, low) is None
    if not expr.startswith("rate"):
        assert sched.count(low, high, 10) == (10, False)
