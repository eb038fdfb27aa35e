"""The write probe: while the store cannot write, a small real write now and then finds out
when it can again (hub/store/health.py says why a probe, not any commit, clears the flag)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

from hub.errors import StoreError
from hub.store.connection import Connection, Op
from hub.store.health import StoreHealth

# While the store cannot write, how often a small real write checks whether it can again.
PROBE_EVERY = 1.0
PROBE_BYTES = 64 * 1024


def write_probe(conn: Connection, *, now: float, size: int = PROBE_BYTES) -> None:
    """Rewrite the probe row with `size` fresh bytes: a write that needs new space, as a
    submit does, where rewriting a few bytes in place could succeed on a full disk."""
    conn.execute(
        "INSERT INTO write_probe (id, written_at, padding) VALUES (1, :now, :padding) "
        "ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at, "
        "padding = excluded.padding",
        {"now": now, "padding": os.urandom(size)},
    )


async def probe_until_writable(
    health: StoreHealth, write: Callable[[Op[None]], Awaitable[None]], now: Callable[[], float]
) -> None:
    """Runs for the store's life: each time it cannot write, probe until a write commits."""
    while True:
        await health.wait_writable_lost()
        await asyncio.sleep(PROBE_EVERY)
        try:
            await write(lambda conn: write_probe(conn, now=now()))
        except StoreError:
            continue  # still cannot write: the committer has kept the reason up to date
        health.recovered()
