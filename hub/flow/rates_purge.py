"""The rate buckets' purge loop: a bucket that is full again limits nothing and is deleted, so
`flow_rates` holds the keys limited in the last minute or so, not every key ever seen."""

from __future__ import annotations

import asyncio

import structlog

from hub import clock
from hub.store.base import InvocationStore
from hub.store.optional import rate_purger

log = structlog.get_logger("hub")
PURGE_RATES_EVERY = 60.0


async def purge_rates_forever(store: InvocationStore, every: float = PURGE_RATES_EVERY) -> None:
    """Returns at once for a store kind of an earlier release that has no purge_rates."""
    purge = rate_purger(store)
    if purge is None:
        return
    while True:
        removed = await store.health.until_written("purge rate buckets", lambda: purge(clock.now()))
        if removed:
            log.debug("purged full rate buckets", count=removed)
        await asyncio.sleep(every)
