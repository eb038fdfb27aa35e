"""The Hub's loops: started under its supervisor once the store is open, and stopped with a
drain that hands unfinished work back to the queue."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import aiohttp
import structlog

from hub.destinations.loop import DeliveryLoop
from hub.errors import StoreError
from hub.flow.rates_purge import purge_rates_forever
from hub.flow.stop_watch import watch_stops
from hub.purge import purge_forever

if TYPE_CHECKING:
    from hub.engine import Hub

log = structlog.get_logger("hub")


async def start_loops(hub: Hub, session: aiohttp.ClientSession) -> None:
    delivery = DeliveryLoop(
        hub.store,
        session,
        hub.owner,
        hub.settings.destination_attempts,
        hub.hooks,
        hub.telemetry,
    )
    await hub.pauses.refresh()  # before any executor may start a paused function's work
    hub.store.on_due(hub.dispatcher.alarm.nudge)
    # A store kind of an earlier release may not lease at submit: its dispatcher leases all.
    lease_at_submit = getattr(hub.store, "lease_at_submit", None)
    if lease_at_submit is not None:
        lease_at_submit(hub.dispatcher)
    hub.store.on_outbox(delivery.alarm.nudge)
    hub.supervisor.spawn("dispatcher", hub.dispatcher.run)
    for n in range(hub.settings.executors):
        hub.supervisor.spawn(f"executor-{n}", hub.executor.worker)
    hub.supervisor.spawn("destinations", delivery.run)
    hub.supervisor.spawn("pauses", hub.pauses.run)
    hub.supervisor.spawn(
        "stop-watch",
        lambda: watch_stops(hub.store, hub.executor.running.keys, hub.executor.cancel),
    )
    retention = hub.settings.store.retention
    hub.supervisor.spawn("purge", lambda: purge_forever(hub.store, retention))
    hub.supervisor.spawn("purge-rates", lambda: purge_rates_forever(hub.store))


async def stop_loops(hub: Hub, drain_timeout: float | None) -> int:
    """No more leasing, let running attempts finish within the drain deadline, then hand
    everything still leased back to the queue; returns how many were handed back."""
    await hub.supervisor.cancel("dispatcher")
    # Leased but not started: left for store.release below instead of being started now.
    hub.dispatcher.drop_queued()
    deadline = hub.settings.drain_timeout if drain_timeout is None else drain_timeout
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(deadline):
            # Queued-but-unstarted items are released below: only running attempts count.
            await hub.executor.idle.wait()
    await hub.supervisor.cancel()
    try:
        released = await asyncio.shield(hub.store.release(hub.owner))
    except StoreError as exc:
        # Nothing is lost: the leases run out after lease_timeout and the work runs then.
        log.warning("could not hand leases back on stop", error=str(exc))
        released = 0
    return released
