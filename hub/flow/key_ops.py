"""The keys debounce, batching and singleton hold in `flow_keys`, one holder per key.

Taking one is an INSERT … ON CONFLICT DO NOTHING; when the key is already held, the row is
locked (a no-op UPDATE) and its holder read in the same statement, so on PostgreSQL a second
daemon submitting with the same key waits for the first one's commit and then sees the holder
it committed, or no row if that commit closed the key: then the insert is tried again. On
SQLite the writer is alone anyway.
"""

from __future__ import annotations

from typing import Protocol

from hub.store.connection import Connection


class Holder(Protocol):
    """What may hold a key: a new invocation, or one queued again by a redrive."""

    @property
    def function(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def deadline(self) -> float: ...


# Past its deadline an invocation is no longer started, an attempt begun before it lasts at most
# a function timeout (a day), and a debounce or batch may push the deadline on by its period (at
# most 7 days): after that its key and marks are certainly free.
LONGEST_ATTEMPT = 8 * 86400.0


def take(
    conn: Connection, item: Holder, kind: str, key: str, now: float
) -> tuple[str, float] | None:
    """None if `item` now holds the key; else the (locked) holder and since when."""
    where = {"function": item.function, "kind": kind, "key": key}
    while True:
        cur = conn.execute(
            "INSERT INTO flow_keys (function, kind, key, invocation_id, since, expires_at) "
            "VALUES (:function, :kind, :key, :id, :now, :expires_at) ON CONFLICT DO NOTHING",
            {**where, "id": item.id, "now": now, "expires_at": item.deadline + LONGEST_ATTEMPT},
        )
        if cur.rowcount:
            return None
        row = conn.execute(
            "UPDATE flow_keys SET since = since "
            "WHERE function = :function AND kind = :kind AND key = :key "
            "RETURNING invocation_id, since",
            where,
        ).fetchone()
        if row is not None:
            return str(row[0]), float(row[1])
        # Another daemon's submit closed the key (its batch became full) between the insert
        # and the lock: it is free again, so take it anew. Each turn follows another commit.


def hand_over(conn: Connection, item: Holder, kind: str, key: str, now: float) -> None:
    conn.execute(
        "UPDATE flow_keys SET invocation_id = :id, since = :now, expires_at = :expires_at "
        "WHERE function = :function AND kind = :kind AND key = :key",
        {
            "function": item.function,
            "kind": kind,
            "key": key,
            "id": item.id,
            "now": now,
            "expires_at": item.deadline + LONGEST_ATTEMPT,
        },
    )


def close(conn: Connection, function: str, kind: str, key: str) -> None:
    conn.execute(
        "DELETE FROM flow_keys WHERE function = :function AND kind = :kind AND key = :key",
        {"function": function, "kind": kind, "key": key},
    )


def sweep(conn: Connection, now: float) -> None:
    """Keys and marks whose invocation can no longer be active."""
    conn.execute("DELETE FROM flow_keys WHERE expires_at < :now", {"now": now})
    conn.execute("DELETE FROM flow_marks WHERE expires_at < :now", {"now": now})
