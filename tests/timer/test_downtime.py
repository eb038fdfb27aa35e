"""Exactly one invocation per tick across a daemon stop and start, a reload, a second trigger
set on the same store and two daemons on one PostgreSQL store; missed ticks after downtime
follow the trigger's policy, decided from the durable last-tick record."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from tests.servers.postgres import Database
from tests.timer.clock import ManualClock
from tests.timer.conftest import (
    T0,
    MakeHub,
    MakeSet,
    invocations,
    key,
    keys,
    noop,
    step,
    timer,
)
from tests.waiting import until

MINUTE = 60.0


async def run_then_restart(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet, down_until: float, **fields: Any
) -> None:
    """Tick at T0+1m and T0+2m, stop the daemon, start a new one at `down_until` and let it
    catch up; the test then opens the store again to look."""
    config = {"t": timer("rate(1 minute)", **fields)}
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start(config)
        await until(clock.settled)
        await step(clock, T0 + MINUTE)
        await step(clock, T0 + 2 * MINUTE)
    await clock.set(down_until)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start(config)
        await until(clock.settled)


DOWN_UNTIL = T0 + 32 * MINUTE + 5  # ticks 3m..31m missed by more than the grace; 32m is 5 s late
BEFORE = [key(T0 + MINUTE), key(T0 + 2 * MINUTE)]


async def test_skip_after_downtime(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet
) -> None:
    await run_then_restart(clock, make_hub, make_set, DOWN_UNTIL, misfire="skip")
    async with make_hub() as hub:
        assert await keys(hub) == [*BEFORE, key(T0 + 32 * MINUTE)]
        assert await hub.store.get_checkpoint("timer:t") == str(round((T0 + 32 * MINUTE) * 1000))


async def test_fire_once_after_downtime(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet
) -> None:
    await run_then_restart(clock, make_hub, make_set, DOWN_UNTIL, misfire="fire_once")
    async with make_hub() as hub:
        assert await keys(hub) == [*BEFORE, key(T0 + 31 * MINUTE), key(T0 + 32 * MINUTE)]
        coalesced = (await invocations(hub))[2].event.data
        assert coalesced["missed"] == 29
        assert coalesced["scheduled_time"] == "2026-01-01T00:31:00.000Z"
        assert coalesced["fire_time"] == "2026-01-01T00:32:05.000Z"


async def test_fire_all_after_downtime(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet
) -> None:
    await run_then_restart(clock, make_hub, make_set, DOWN_UNTIL, misfire="fire_all")
    async with make_hub() as hub:
        assert await keys(hub) == sorted(key(T0 + m * MINUTE) for m in range(1, 33))


async def test_fire_all_drops_the_oldest_beyond_misfire_max_and_says_so(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet
) -> None:
    with capture_logs() as logs:
        await run_then_restart(
            clock, make_hub, make_set, DOWN_UNTIL, misfire="fire_all", misfire_max=10
        )
    async with make_hub() as hub:
        assert await keys(hub) == sorted(BEFORE + [key(T0 + m * MINUTE) for m in range(22, 33)])
    [line] = [entry for entry in logs if entry["event"] == "missed ticks fired"]
    assert (line["missed"], line["fired"], line["dropped_oldest"]) == (29, 10, 19)
    assert (line["trigger"], line["resume_at"]) == ("t", "2026-01-01T00:33:00.000Z")


@pytest.mark.parametrize("policy", ["skip", "fire_once", "fire_all"])
async def test_a_quick_restart_inside_the_grace_loses_no_tick(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet, policy: str
) -> None:
    # Stopped just before the 3m tick, back 2 s later: the tick is fired, 1 s late.
    await run_then_restart(clock, make_hub, make_set, T0 + 3 * MINUTE + 1, misfire=policy)
    async with make_hub() as hub:
        assert await keys(hub) == [*BEFORE, key(T0 + 3 * MINUTE)]
        assert "missed" not in (await invocations(hub))[2].event.data


async def test_a_grace_shorter_than_the_restart_skips(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet
) -> None:
    await run_then_restart(
        clock, make_hub, make_set, T0 + 3 * MINUTE + 2, misfire="skip", misfire_grace="1s"
    )
    async with make_hub() as hub:
        assert await keys(hub) == BEFORE


async def test_a_restart_never_repeats_the_last_tick(
    clock: ManualClock, make_hub: MakeHub, make_set: MakeSet
) -> None:
    # Back at the very instant of the last committed tick: it is not fired again.
    await run_then_restart(clock, make_hub, make_set, T0 + 2 * MINUTE, misfire="fire_all")
    async with make_hub() as hub:
        assert await keys(hub) == BEFORE


async def test_a_reload_keeps_the_last_tick_and_makes_no_duplicate(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"t": timer("rate(1 minute)", data=1)})
        await until(clock.settled)
        await step(clock, T0 + MINUTE)
        # Reloaded (stopped and started again) at the instant of the tick it just fired.
        await triggers.apply({"t": timer("rate(1 minute)", data=2)})
        await until(clock.settled)
        await step(clock, T0 + 2 * MINUTE)
        # A reload across a tick: stopped, the tick passes, started again 3 s later.
        await triggers.apply({})
        await clock.set(T0 + 3 * MINUTE + 3)
        await triggers.apply({"t": timer("rate(1 minute)", data=3)})
        await until(clock.settled)
    found = await invocations(hub)
    assert [inv.idempotency_key for inv in found] == [key(T0 + m * MINUTE) for m in (1, 2, 3)]
    assert [inv.event.data["data"] for inv in found] == [1, 2, 3]


async def test_two_trigger_sets_running_the_same_timer_make_each_tick_once(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    config = {"t": timer("rate(1 minute)", ["f", "g"])}
    async with make_set(hub) as one, make_set(hub) as two:
        await one.start(config)
        await two.start(config)
        await until(lambda: clock.settled(2))
        for minute in (1, 2, 3):
            await step(clock, T0 + minute * MINUTE, sleepers=2)
        assert one.status()["t"]["events_in"] == two.status()["t"]["events_in"] == 3
    expected = [key(T0 + m * MINUTE) for m in (1, 2, 3)]
    assert await keys(hub, "f") == await keys(hub, "g") == expected


@pytest.mark.postgres
async def test_two_daemons_on_one_store_make_each_tick_once(
    clock: ManualClock, make_set: MakeSet, postgres_database: Database
) -> None:
    # Several daemons share a PostgreSQL store; a SQLite file refuses a second one.
    config = {"t": timer("rate(1 minute)")}
    settings = HubSettings(store=StoreSettings(url=postgres_database.url))
    functions = {"f": noop(), "g": noop()}
    async with Hub(settings, functions) as first, Hub(settings, functions) as second:
        async with make_set(first) as one, make_set(second) as two:
            await one.start(config)
            await two.start(config)
            # A timer is a single reader: one daemon holds its lease, the other stands by.
            await until(lambda: clock.settled(1))
            await until(lambda: clock.settled(1))
            states = lambda: sorted(s.status()["t"]["state"] for s in (one, two))  # noqa: E731
            await until(lambda: states() == ["connected", "standby"])
            for minute in (1, 2):
                await step(clock, T0 + minute * MINUTE, sleepers=1)
        assert await keys(first) == [key(T0 + MINUTE), key(T0 + 2 * MINUTE)]
