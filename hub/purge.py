"""The purge loop: finished invocations older than the retention go, once an hour."""

from __future__ import annotations

import asyncio

import structlog

from hub import clock
from hub.store.base import InvocationStore

log = structlog.get_logger("hub")
PURGE_EVERY = 3600.0


async def purge_forever(store: InvocationStore, retention: float) -> None:
    while True:
        # Retried until it runs: purging is also what frees space in a full store.
        removed = await store.health.until_written(
            "purge", lambda: store.purge(clock.now(), retention)
        )
        if removed:
            log.info("purged finished invocations", count=removed)
        await asyncio.sleep(PURGE_EVERY)
