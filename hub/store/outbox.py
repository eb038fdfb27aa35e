"""The outbox aggregate: destination records committed with a final status, leased and
delivered by the destination loop, deleted once delivered or given up on."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from hub.store.base import Delivery
from hub.store.connection import HISTORY, Connection, transition, with_history
from hub.store.sqlbase import SqlBase


def enqueue(conn: Connection, deliveries: Sequence[Delivery], *, now: float) -> None:
    if not deliveries:
        return
    conn.executemany(
        "INSERT INTO outbox (id, invocation_id, slot, destination, record, attempts, run_at) "
        "VALUES (:id, :invocation_id, :slot, :destination, :record, 0, :now)",
        [
            {
                "id": d.id,
                "invocation_id": d.invocation_id,
                "slot": d.slot,
                "destination": d.destination,
                "record": d.record,
                "now": now,
            }
            for d in deliveries
        ],
    )


def lease(
    conn: Connection, *, owner: str, now: float, limit: int, lease_until: float, lock: str = ""
) -> list[Delivery]:
    rows = conn.execute(
        "UPDATE outbox SET run_at = :lease_until, lease_owner = :owner WHERE id IN ("
        f"SELECT id FROM outbox WHERE run_at <= :now ORDER BY run_at LIMIT :limit {lock}"
        ") RETURNING id, invocation_id, slot, destination, record, attempts",
        {"lease_until": lease_until, "owner": owner, "now": now, "limit": limit},
    ).fetchall()
    return [
        Delivery(
            id=r[0],
            invocation_id=r[1],
            slot=r[2],
            destination=bytes(r[3]),
            record=bytes(r[4]),
            attempts=r[5],
        )
        for r in rows
    ]


def release(conn: Connection, *, owner: str, now: float) -> None:
    conn.execute(
        "UPDATE outbox SET run_at = :now, lease_owner = NULL WHERE lease_owner = :owner",
        {"now": now, "owner": owner},
    )


def next_due(conn: Connection) -> float | None:
    row = conn.execute("SELECT MIN(run_at) FROM outbox").fetchone()
    return None if row is None or row[0] is None else float(row[0])


def delivered(conn: Connection, *, delivery: Delivery, now: float, detail: str) -> None:
    conn.execute("DELETE FROM outbox WHERE id = :id", {"id": delivery.id})
    note(conn, inv_id=delivery.invocation_id, now=now, status="delivered", detail=detail)


def failed(
    conn: Connection, *, delivery: Delivery, now: float, error: str, next_at: float | None
) -> None:
    """Due again at `next_at`, or given up on (None): noted on its invocation."""
    if next_at is not None:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, run_at = :next_at, last_error = :error, "
            "lease_owner = NULL WHERE id = :id",
            {"next_at": next_at, "error": error, "id": delivery.id},
        )
        return
    conn.execute("DELETE FROM outbox WHERE id = :id", {"id": delivery.id})
    conn.execute(
        with_history(
            conn,
            f"UPDATE invocations SET destination_error = :error, history = {HISTORY} "
            "WHERE id = :id",
        ),
        {
            "error": f"{delivery.slot}: {error}",
            "id": delivery.invocation_id,
            **transition("delivery_failed", now, error),
        },
    )


def note(conn: Connection, *, inv_id: str, now: float, status: str, detail: str | None) -> None:
    """Append a transition that changes no column of the invocation."""
    conn.execute(
        with_history(conn, f"UPDATE invocations SET history = {HISTORY} WHERE id = :id"),
        {"id": inv_id, **transition(status, now, detail)},
    )


class SqlOutbox(SqlBase):
    """The Outbox protocol (hub/store/base.py) over the functions above."""

    async def next_delivery(self) -> float | None:
        return await self._read(next_due)

    async def lease_deliveries(
        self, owner: str, now: float, limit: int, lease_until: float
    ) -> list[Delivery]:
        return await self._commit_fast(
            partial(
                lease,
                owner=owner,
                now=now,
                limit=limit,
                lease_until=lease_until,
                lock=self.lock_clause,
            )
        )

    async def delivered(self, delivery: Delivery, now: float, detail: str) -> None:
        await self._commit_fast(partial(delivered, delivery=delivery, now=now, detail=detail))

    async def delivery_failed(
        self, delivery: Delivery, now: float, error: str, next_at: float | None
    ) -> None:
        await self._commit_fast(
            partial(failed, delivery=delivery, now=now, error=error, next_at=next_at)
        )
        if next_at is not None:
            self._outbox_due(next_at)
