"""Many timers at one instant: their on-time ticks go to the store together, in one submit, each
once with its own key and last-tick record; a tick refused, a reload or a pause while they wait
changes only the timers it concerns."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from typing import Any

import pytest
import structlog

from hub import Hub
from hub.invocation import NewInvocation
from hub.plugins import SourceContext
from hub.store.base import Checkpoint, Submitted
from tests.timer.clock import ManualClock
from tests.timer.conftest import T0, MakeSet, invocations, key, keys, step, timer
from tests.waiting import until
from triggers.timer import instants
from triggers.timer.source import TimerSource

MANY = 200


def count_submits(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every submit the store is asked for, in order."""
    sizes: list[int] = []
    submit = hub.store.submit

    async def counted(
        items: Sequence[NewInvocation], checkpoint: Checkpoint | None = None, **kw: Any
    ) -> list[Submitted]:
        sizes.append(len(items))
        return await submit(items, checkpoint, **kw)

    monkeypatch.setattr(hub.store, "submit", counted)
    return sizes


async def test_many_timers_at_one_instant_tick_once_each_in_one_submit(
    clock: ManualClock, hub: Hub, make_set: MakeSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"t{n}" for n in range(MANY)]
    async with make_set(hub) as triggers:
        await triggers.start({name: timer("rate(1 minute)") for name in names})
        await until(lambda: clock.settled(MANY))
        sizes = count_submits(hub, monkeypatch)
        await step(clock, T0 + 60, sleepers=MANY)
        await step(clock, T0 + 120, sleepers=MANY)
        status = triggers.status()
    assert sizes == [MANY, MANY]  # one store submit (one commit) per instant
    assert await keys(hub) == sorted(key(T0 + m, name) for name in names for m in (60, 120))
    for name in names:
        assert await hub.store.get_checkpoint(f"timer:{name}") == str(round((T0 + 120) * 1000))
        assert status[name]["events_in"] == 2
        assert status[name]["state"] == "connected"


async def test_a_tick_refused_at_a_shared_instant_refuses_no_other(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        # `h` does not exist yet: its tick is refused, and handed over again by its own runner.
        configs = {"a": timer("rate(1 minute)"), "b": timer("rate(1 minute)", "h")}
        await triggers.start(configs | {"c": timer("rate(1 minute)")})
        await until(lambda: clock.settled(3))
        await clock.set(T0 + 60)
        await until(lambda: "no function named 'h'" in (triggers.status()["b"]["last_error"] or ""))
        assert await keys(hub) == [key(T0 + 60, "a"), key(T0 + 60, "c")]
        hub.set_functions({**hub.functions, "h": hub.functions["f"]})
        await until(lambda: clock.settled(3))
        await step(clock, T0 + 120, sleepers=3)
    assert await keys(hub, "h") == [key(T0 + 60, "b"), key(T0 + 120, "b")]
    assert len(await keys(hub)) == 4


async def test_a_reload_while_the_timers_wait_for_their_instant(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({name: timer("rate(1 minute)", data=1) for name in "abc"})
        await until(lambda: clock.settled(3))
        # b removed, c changed, d added; a keeps waiting as it was.
        await triggers.apply(
            {
                "a": timer("rate(1 minute)", data=1),
                "c": timer("rate(1 minute)", data=2),
                "d": timer("rate(1 minute)", data=3),
            }
        )
        await until(lambda: clock.settled(3))
        await step(clock, T0 + 60, sleepers=3)
    found = await invocations(hub)
    assert [inv.idempotency_key for inv in found] == [key(T0 + 60, name) for name in "acd"]
    assert [inv.event.data["data"] for inv in found] == [1, 2, 3]


async def test_a_pause_while_the_timers_wait_then_a_resume_inside_the_grace(
    clock: ManualClock, hub: Hub, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({name: timer("rate(1 minute)") for name in "ab"})
        await until(lambda: clock.settled(2))
        await step(clock, T0 + 60, sleepers=2)
        await triggers.set_paused({"b": T0 + 61})
        assert triggers.status()["b"]["state"] == "paused"
        await step(clock, T0 + 120, sleepers=1)
        assert await keys(hub) == sorted([key(T0 + 60, "a"), key(T0 + 60, "b"), key(T0 + 120, "a")])
        # Resumed 2 s after the tick it missed: inside the grace, so that tick fires, once.
        await clock.set(T0 + 122)
        await triggers.set_paused({})
        await until(lambda: clock.settled(2))
        await step(clock, T0 + 180, sleepers=2)
    assert await keys(hub) == sorted(key(T0 + m, n) for n in "ab" for m in (60, 120, 180))


async def test_a_timer_source_without_a_trigger_set_hands_each_tick_to_its_own_read(
    clock: ManualClock, hub: Hub
) -> None:
    # No runner lent it a shared intake: its scheduler only wakes it, and read() returns.
    context = SourceContext(
        trigger="t", get_checkpoint=hub.store.get_checkpoint, log=structlog.get_logger()
    )
    source = TimerSource(timer("rate(1 minute)"), context, sleep=clock.sleep)
    await source.connect()
    reading = asyncio.ensure_future(source.read())
    await until(lambda: len(clock.deadlines) == 1)
    assert not reading.done()
    await clock.set(T0 + 60)
    batch = await asyncio.wait_for(reading, timeout=10)
    assert [event.idempotency_key for event in batch.events] == [key(T0 + 60)]
    assert batch.checkpoint == Checkpoint("timer:t", str(round((T0 + 60) * 1000)))
    await source.close()


async def test_a_stalled_instant_commit_keeps_the_collector_off_for_a_bounded_time(
    clock: ManualClock, hub: Hub, make_set: MakeSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The instant defers cyclic collection until its acks; a store that does not answer must
    # not keep it off for the whole daemon meanwhile.
    monkeypatch.setattr(instants, "MAX_DEFERRAL", 0.2, raising=False)
    names = [f"t{n}" for n in range(MANY)]
    entered, release = asyncio.Event(), asyncio.Event()
    submit = hub.store.submit

    async def stalled(
        items: Sequence[NewInvocation], checkpoint: Checkpoint | None = None, **kw: Any
    ) -> list[Submitted]:
        entered.set()
        await release.wait()
        return await submit(items, checkpoint, **kw)

    try:
        async with make_set(hub) as triggers:
            await triggers.start({name: timer("rate(1 minute)") for name in names})
            await until(lambda: clock.settled(MANY))
            monkeypatch.setattr(hub.store, "submit", stalled)
            await clock.set(T0 + 60)
            await asyncio.wait_for(entered.wait(), timeout=10)
            await until(gc.isenabled, timeout=5)  # while the commit is still stalled
            assert not release.is_set()
            release.set()
            await until(lambda: clock.settled(MANY))
        assert await keys(hub) == sorted(key(T0 + 60, name) for name in names)
    finally:
        release.set()
        gc.enable()
