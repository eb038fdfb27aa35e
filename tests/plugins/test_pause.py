"""A trigger paused through the hub's pause state: the batch being submitted finishes and is
acknowledged, the source closes keeping its position, nothing is read until the resume, and
the trigger stays visible in the status all along."""

from __future__ import annotations

import asyncio

from hub import Hub
from tests.plugins.conftest import trigger
from tests.plugins.memory import channel
from tests.plugins.test_runtime import events, invocations
from tests.support import MakeSet
from tests.waiting import until


async def test_a_paused_trigger_finishes_its_batch_reads_nothing_more_and_resumes(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    acking, proceed = asyncio.Event(), asyncio.Event()

    async def slow_ack() -> None:
        acking.set()
        await proceed.wait()

    ch.before_ack = slow_ack
    ch.put(events(1))
    async with make_set(hub) as triggers:
        hub.pauses.on_triggers_changed(triggers.set_paused)
        await triggers.start({"t": trigger("c"), "m": trigger("m", "g")})
        await acking.wait()
        pausing = asyncio.create_task(hub.pauses.pause("trigger", "t"))
        await until(lambda: ch.closes == 0 and "t" in hub.pauses.triggers)
        # Stopping, the trigger is still listed (it used to vanish until its source closed).
        assert triggers.status()["t"]["state"] == "connected"
        proceed.set()
        await pausing
        status = triggers.status()["t"]
        assert (status["state"], status["detail"]["paused_at"]) == (
            "paused",
            status["detail"]["paused_at"],
        )
        assert (len(ch.acked), ch.closes) == (1, 1)  # its batch was acknowledged, then closed

        ch.before_ack = None
        ch.put(events(2, 3))
        marker = channel("m")
        marker.put(events(9))  # read by the other trigger while this one stays paused
        await until(lambda: len(marker.acked) == 1)
        assert ch.items.qsize() == 1 and ch.connects == 1  # not read: not even reconnected
        # A reload keeps it paused.
        await triggers.apply({"t": trigger("c", batch_size=5), "m": trigger("m", "g")})
        marker.put(events(10))
        await until(lambda: len(marker.acked) == 2)
        assert triggers.status()["t"]["state"] == "paused" and ch.connects == 1

        await hub.pauses.resume("trigger", "t")
        await until(lambda: len(ch.acked) == 2)
        assert triggers.status()["t"]["state"] == "connected"
    assert await invocations(hub) == [1, 2, 3]
