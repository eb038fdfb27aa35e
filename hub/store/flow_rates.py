"""The GCRA buckets of table flow_rates (hub/store/flow_schema.py): read and written by the
lease for functions' rate limits (flow_lease.py) and by destinations' deliveries
(ratelimits.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hub.store.connection import Connection

_SAVE_RATE = (
    "INSERT INTO flow_rates (function, key, tat, open_at) VALUES (:function, :key, :tat, "
    ":open_at) ON CONFLICT (function, key) DO UPDATE SET tat = excluded.tat, "
    "open_at = excluded.open_at"
)


@dataclass(slots=True)
class Bucket:
    """GCRA: a start conforms at `now` when `now >= tat - (burst - 1) * interval`; each start
    moves `tat` on by one interval from max(tat, now)."""

    tat: float
    opened_at: float
    """When it last opened, as the store had it: work due before that waited for it."""
    changed: bool = False
    tolerance: float = 0.0

    def open_at(self, interval: float, burst: int) -> float:
        return self.tat - (burst - 1) * interval

    def take(self, now: float, interval: float, burst: int) -> bool:
        if now < self.open_at(interval, burst):
            return False
        self.tat = max(self.tat, now) + interval
        self.tolerance = (burst - 1) * interval
        self.changed = True
        return True


def load_bucket(
    conn: Connection, buckets: dict[tuple[str, str], Bucket], function: str, key: str
) -> Bucket:
    found = buckets.get((function, key))
    if found is None:
        row = conn.execute(
            "SELECT tat, open_at FROM flow_rates WHERE function = :function AND key = :key",
            {"function": function, "key": key},
        ).fetchone()
        found = Bucket(-math.inf, -math.inf) if row is None else Bucket(row[0], row[1])
        buckets[(function, key)] = found
    return found


def save_buckets(conn: Connection, buckets: dict[tuple[str, str], Bucket]) -> None:
    for (function, key), bucket in buckets.items():
        if bucket.changed:
            conn.execute(
                _SAVE_RATE,
                {
                    "function": function,
                    "key": key,
                    "tat": bucket.tat,
                    "open_at": bucket.tat - bucket.tolerance,
                },
            )


def purge_replenished(conn: Connection, *, now: float, chunk: int, lock: str = "") -> int:
    """Delete up to `chunk` buckets that are full again (`tat <= now`): such a bucket limits
    nothing, and no row reads the same (a missing bucket conforms at once and starts from
    `now`), so the table holds only the keys limited lately, however many keys were ever seen.
    `lock` (PostgreSQL) skips the rows a lease or a delivery is writing: they are not full."""
    rows = conn.execute(
        "SELECT function, key FROM flow_rates WHERE open_at <= :now AND tat <= :now "
        f"LIMIT :chunk {lock}",
        {"now": now, "chunk": chunk},
    ).fetchall()
    if rows:
        # Guarded again: on SQLite nothing locks the rows between the read and the delete.
        conn.executemany(
            "DELETE FROM flow_rates WHERE function = :function AND key = :key AND tat <= :now",
            [{"function": function, "key": key, "now": now} for function, key in rows],
        )
    return len(rows)


def next_open(conn: Connection, *, now: float) -> float | None:
    """When a closed rate bucket opens: the due work it holds back may start then."""
    row = conn.execute(
        "SELECT MIN(open_at) FROM flow_rates WHERE open_at > :now", {"now": now}
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])
