"""The timer source driven by the hub's trigger runtime, against a real Hub on a temporary
SQLite file: real-time ticks, the event, one-time and end, DST through the source."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from hub import Hub
from tests.timer.clock import ManualClock
from tests.timer.conftest import T0, MakeSet, invocations, key, keys, step, timer
from tests.waiting import until


async def test_cron_with_seconds_ticks_on_whole_seconds(hub: Hub, make_real_set: MakeSet) -> None:
    async with make_real_set(hub) as triggers:
        await triggers.start({"t": timer("*/1 * * * * *")})

        async def three() -> bool:
            return len(await invocations(hub)) >= 3

        await until(three, timeout=10)
        status = triggers.status()["t"]
    found = (await invocations(hub))[:3]
    times = [inv.event.time or "" for inv in found]
    assert all(t.endswith(".000Z") for t in times), times
    scheduled = [datetime.fromisoformat(t).timestamp() for t in times]
    assert [b - a for a, b in pairwise(scheduled)] == [1.0, 1.0]
    assert [inv.idempotency_key for inv in found] == [key(s) for s in scheduled]
    for inv, at in zip(found, scheduled, strict=True):
        assert 0 <= inv.created_at - at < 0.5  # queued right at the tick (generous for CI)
    assert status["lag"] is not None and 0 <= status["lag"] < 0.5


async def test_the_tick_event(clock: ManualClock, hub: Hub, make_set: MakeSet) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("rate(1 minute)", ["f", "g"], data={"k": [1, 2]})})
        await until(clock.settled)
        await step(clock, T0 + 60)
        assert triggers.status()["t"]["lag"] == 0.0  # the clock did not move during the commit
        [runner] = triggers._runners.values()
        assert runner.source.detail() == {  # type: ignore[attr-defined]
            "last_tick": "2026-01-01T00:01:00.000Z",
            "next_tick": "2026-01-01T00:02:00.000Z",
            "lateness": 0.0,
        }
    [f], [g] = await invocations(hub, "f"), await invocations(hub, "g")
    assert f.event.to_dict() | {"id": "-"} == g.event.to_dict() | {"id": "-"}
    assert f.event.to_dict() | {"id": "-"} == {
        "specversion": "1.0",
        "id": "-",
        "type": "triggerhub.timer.tick",
        "source": "triggerhub/timer/t",
        "subject": "t",
        "time": "2026-01-01T00:01:00.000Z",
        "datacontenttype": "application/json",
        "idempotencykey": "timer:t:1767225660000",
        "data": {
            "scheduled_time": "2026-01-01T00:01:00.000Z",
            "fire_time": "2026-01-01T00:01:00.000Z",
            "trigger": "t",
            "schedule": "rate(1 minute)",
            "data": {"k": [1, 2]},
        },
    }
    assert await hub.store.get_checkpoint("timer:t") == "1767225660000"


async def test_first_start_fires_nothing_from_the_past(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    # Started half a second after the midnight tick: that tick is in the past.
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("0 0 * * *"), "u": timer("rate(250 milliseconds)")})
        await until(lambda: clock.settled(2))
        await step(clock, T0 + 1.0, sleepers=2)
    # The rate's tick at the very instant of the start is not in the past: it fires.
    assert await keys(hub) == [key(T0 + 0.5, "u"), key(T0 + 0.75, "u"), key(T0 + 1.0, "u")]


async def test_rate_ticks_at_every_interval(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("rate(250 milliseconds)")})
        await until(clock.settled)
        for n in range(1, 5):
            await step(clock, T0 + 0.5 + 0.25 * n)
    assert await keys(hub) == [key(T0 + 0.5 + 0.25 * n) for n in range(5)]


async def test_a_one_time_schedule_fires_once_and_ends(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start(
            {"t": timer("at(2026-01-01T01:01:30+01:00)"), "gone": timer("at(2025-12-31T12:00Z)")}
        )
        await until(lambda: triggers.status()["gone"]["state"] == "ended")
        await step(clock, T0 + 90, sleepers=0)
        await until(lambda: triggers.status()["t"]["state"] == "ended")
        await step(clock, T0 + 3600, sleepers=0)
    assert await keys(hub) == [key(T0 + 90)]


async def test_no_tick_after_the_end_time(clock: ManualClock, hub: Hub, make_set: MakeSet) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("rate(1 minute)", end="2026-01-01T00:03:00Z")})
        await until(clock.settled)
        for minute in (1, 2):
            await step(clock, T0 + 60 * minute)
        await step(clock, T0 + 180, sleepers=0)
        await until(lambda: triggers.status()["t"]["state"] == "ended")
        await step(clock, T0 + 600, sleepers=0)
    assert await keys(hub) == [key(T0 + 60 * m) for m in (1, 2, 3)]


async def test_hourly_across_fall_back_through_the_source(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    start = datetime.fromisoformat("2026-10-24T22:30:00+00:00").timestamp()
    await clock.set(start)
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("0 * * * *", timezone="Europe/Berlin")})
        await until(clock.settled)
        for half_hours in range(1, 11):
            await step(clock, start + 1800 * half_hours)
    # 00:00 .. 04:00 UTC: 01:00, 02:00 CEST, 02:00, 03:00, 04:00 CET; one per real hour.
    assert await keys(hub) == [key(start + 1800 + 3600 * h) for h in range(5)]


async def test_a_refused_submit_hands_the_same_tick_over_again(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("rate(1 minute)", "h")})  # `h` does not exist yet
        await until(clock.settled)
        await clock.set(T0 + 60)
        await until(lambda: "no function named 'h'" in (triggers.status()["t"]["last_error"] or ""))
        hub.set_functions({**hub.functions, "h": hub.functions["f"]})
        await until(clock.settled)
    assert await keys(hub, "h") == [key(T0 + 60)]
