"""Rate limits outside the lease: a destination's deliveries take a start from the same GCRA
buckets (table flow_rates, hub/store/flow_schema.py) the lease uses for functions, so the
limit holds across restarts and across the daemons sharing a store."""

from __future__ import annotations

import math
from functools import partial

from hub.store.base import Delivery
from hub.store.connection import Connection
from hub.store.flow_rates import Bucket, purge_replenished
from hub.store.sqlbase import SqlBase


def take(
    conn: Connection,
    *,
    bucket: str,
    key: str,
    now: float,
    interval: float,
    burst: int,
    lock: str = "",
) -> float | None:
    """Take one start from the bucket now: None when taken, else when the next one conforms."""
    if lock:
        # A bucket's first take: without a row there is nothing to lock, and two daemons would
        # both find it empty and both start. A fresh bucket (time 0) conforms at once.
        conn.execute(
            "INSERT INTO flow_rates (function, key, tat, open_at) VALUES (:function, :key, 0, 0) "
            "ON CONFLICT (function, key) DO NOTHING",
            {"function": bucket, "key": key},
        )
    row = conn.execute(
        f"SELECT tat, open_at FROM flow_rates WHERE function = :function AND key = :key {lock}",
        {"function": bucket, "key": key},
    ).fetchone()
    state = Bucket(-math.inf, -math.inf) if row is None else Bucket(row[0], row[1])
    if not state.take(now, interval, burst):
        return state.open_at(interval, burst)
    conn.execute(
        "INSERT INTO flow_rates (function, key, tat, open_at) VALUES (:function, :key, :tat, "
        ":open_at) ON CONFLICT (function, key) DO UPDATE SET tat = excluded.tat, "
        "open_at = excluded.open_at",
        {"function": bucket, "key": key, "tat": state.tat, "open_at": state.tat - state.tolerance},
    )
    return None


def postpone(conn: Connection, *, delivery: Delivery, owner: str, until: float) -> None:
    """Hand a leased delivery back until `until`, its attempts untouched: it waited, it did
    not fail."""
    conn.execute(
        "UPDATE outbox SET run_at = :until, lease_owner = NULL "
        "WHERE id = :id AND lease_owner = :owner",
        {"until": until, "id": delivery.id, "owner": owner},
    )


class SqlRateLimits(SqlBase):
    async def take_rate(
        self, bucket: str, key: str, now: float, interval: float, burst: int
    ) -> float | None:
        return await self._commit_fast(
            partial(
                take,
                bucket=bucket,
                key=key,
                now=now,
                interval=interval,
                burst=burst,
                # Other daemons take from the same bucket: its row is held until the commit.
                lock="FOR UPDATE" if self.lock_clause else "",
            )
        )

    async def purge_rates(self, now: float, chunk: int = 1000) -> int:
        total = 0
        while True:
            removed = await self._commit(
                partial(purge_replenished, now=now, chunk=chunk, lock=self.lock_clause)
            )
            total += removed
            if removed < chunk:
                return total

    async def postpone_delivery(self, delivery: Delivery, owner: str, until: float) -> None:
        await self._commit_fast(partial(postpone, delivery=delivery, owner=owner, until=until))
        self._outbox_due(until)
