"""The store's operations as plain DB-API calls, run inside one transaction by the caller.

Written once for SQLite and PostgreSQL: `?` placeholders (the PostgreSQL connection rewrites
them) and SQL both accept, including ON CONFLICT … RETURNING. Every state change is guarded by
the status and lease it expects, so a stale executor cannot overwrite a stop or a newer lease.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import orjson

from hub.errors import InvalidStateError, NotFoundError
from hub.ids import id_before
from hub.invocation import Invocation, NewInvocation
from hub.status import ACTIVE, REDRIVABLE, Status
from hub.store.base import Checkpoint, Delivery, ListQuery, Page, Routing, Submitted
from hub.store.rows import COLUMNS, to_invocation, to_transitions

# The history lives in the row as a JSON array of [status, at, detail] and grows with each
# transition inside the same UPDATE that changes the status: no second table or index to
# write on the hot path. Each backend's connection names its JSON-append expression.
A = "{append}"

_ACTIVE_SQL = "('queued', 'running', 'retrying')"

_CLAIM_KEY = (
    "INSERT INTO idempotency (function, key, invocation_id, expires_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (function, key) DO UPDATE SET invocation_id = excluded.invocation_id, "
    "expires_at = excluded.expires_at WHERE idempotency.expires_at <= ? RETURNING invocation_id"
)
_INSERT = (
    "INSERT INTO invocations (id, function, status, event, attempts, invoke_count, created_at, "
    "not_before, deadline, idempotency_key, run_at, history, ordering_key) "
    "VALUES (?, ?, 'queued', ?, 0, 0, ?, ?, ?, ?, ?, ?, ?)"
)


def _sql(conn: Any, sql: str) -> str:
    return sql.replace(A, conn.append_history)


def note(conn: Any, inv_id: str, now: float, status: str, detail: str | None) -> None:
    """Append a transition that changes no column (a delivery, for example)."""
    conn.execute(
        _sql(conn, f"UPDATE invocations SET history = {A} WHERE id = ?"),
        (status, now, detail, inv_id),
    )


def submit(
    conn: Any,
    items: Sequence[NewInvocation],
    now: float,
    dedup_window: float,
    checkpoint: Checkpoint | None = None,
) -> list[Submitted]:
    results: list[Submitted] = []
    rows: list[tuple[Any, ...]] = []
    for item in items:
        if item.idempotency_key is not None:
            claim = (item.function, item.idempotency_key, item.id, now + dedup_window, now)
            if conn.execute(_CLAIM_KEY, claim).fetchone() is None:
                results.append(Submitted(_holder(conn, item), created=False))
                continue
        rows.append(
            (
                item.id,
                item.function,
                item.event.to_json(),
                now,
                item.not_before,
                item.deadline,
                item.idempotency_key,
                item.not_before,
                orjson.dumps(
                    [["queued", now, "deferred" if item.not_before > now else None]]
                ).decode(),
                item.ordering_key,
            )
        )
        results.append(Submitted(item.id, created=True))
    if rows:
        conn.executemany(_INSERT, rows)
    if checkpoint is not None:
        set_checkpoint(conn, checkpoint, now)
    return results


def _holder(conn: Any, item: NewInvocation) -> str:
    row = conn.execute(
        "SELECT invocation_id FROM idempotency WHERE function = ? AND key = ?",
        (item.function, item.idempotency_key),
    ).fetchone()
    return str(row[0])


def lease(
    conn: Any, owner: str, now: float, limit: int, lease_until: float, lock: str = ""
) -> tuple[list[Invocation], float | None]:
    rows = conn.execute(
        f"UPDATE invocations SET run_at = ?, lease_owner = ? WHERE id IN ("
        f"SELECT id FROM invocations AS c WHERE run_at <= ? AND {_HEAD_OF_ITS_KEY} "
        f"ORDER BY run_at LIMIT ? {lock}"
        f") RETURNING {COLUMNS}",
        (lease_until, owner, now, limit),
    ).fetchall()
    leased = sorted((to_invocation(r) for r in rows), key=lambda inv: inv.not_before)
    return leased, next_due(conn, now)


# An ordered invocation is eligible only while no older one of its key is still active
# (queued, leased, running or retrying): one at a time per key, in submission order.
_HEAD_OF_ITS_KEY = (
    "(c.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM invocations AS o "
    "WHERE o.function = c.function AND o.ordering_key = c.ordering_key "
    "AND o.run_at IS NOT NULL AND o.id < c.id))"
)


def next_due(conn: Any, now: float) -> float | None:
    """The next time something becomes due. Due rows left after a lease that was not full are
    waiting behind the head of their ordering key; finishing that head wakes the dispatcher."""
    row = conn.execute("SELECT MIN(run_at) FROM invocations WHERE run_at > ?", (now,)).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def start(conn: Any, inv_id: str, owner: str, now: float, run_until: float, attempt: int) -> None:
    conn.execute(
        _sql(
            conn,
            "UPDATE invocations SET status = 'running', attempts = attempts + 1, "
            f"invoke_count = invoke_count + 1, started_at = ?, run_at = ?, history = {A} "
            f"WHERE id = ? AND lease_owner = ? AND status IN {_ACTIVE_SQL}",
        ),
        (now, run_until, "running", now, f"attempt {attempt}", inv_id, owner),
    )


def finish(
    conn: Any,
    inv_id: str,
    owner: str,
    now: float,
    status: Status,
    condition: str,
    error: str | None,
    response: bytes | None,
    routing: Routing,
    dedup_window: float,
) -> bool:
    cur = conn.execute(
        _sql(
            conn,
            "UPDATE invocations SET status = ?, condition = ?, "
            "last_error = COALESCE(?, last_error), "
            f"response = ?, finished_at = ?, run_at = NULL, lease_owner = NULL, history = {A} "
            f"WHERE id = ? AND lease_owner = ? AND status IN {_ACTIVE_SQL}",
        ),
        (
            str(status),
            condition,
            error,
            response,
            now,
            str(status),
            now,
            error or condition,
            inv_id,
            owner,
        ),
    )
    if not cur.rowcount:
        return False
    route(conn, routing, now, dedup_window)
    return True


def route(conn: Any, routing: Routing, now: float, dedup_window: float) -> None:
    if routing.follow_ups:
        submit(conn, routing.follow_ups, now, dedup_window)
    for d in routing.deliveries:
        conn.execute(
            "INSERT INTO outbox (id, invocation_id, slot, destination, record, attempts, run_at) "
            "VALUES (?, ?, ?, ?, ?, 0, ?)",
            (d.id, d.invocation_id, d.slot, d.destination, d.record, now),
        )


def retry(conn: Any, inv_id: str, owner: str, now: float, next_at: float, error: str) -> bool:
    cur = conn.execute(
        _sql(
            conn,
            "UPDATE invocations SET status = 'retrying', run_at = ?, not_before = ?, "
            f"last_error = ?, lease_owner = NULL, history = {A} "
            f"WHERE id = ? AND lease_owner = ? AND status IN {_ACTIVE_SQL}",
        ),
        (next_at, next_at, error, "retrying", now, error, inv_id, owner),
    )
    return bool(cur.rowcount)


def defer(conn: Any, inv_id: str, owner: str, next_at: float, error: str) -> None:
    conn.execute(
        "UPDATE invocations SET run_at = ?, last_error = ?, lease_owner = NULL "
        f"WHERE id = ? AND lease_owner = ? AND status IN {_ACTIVE_SQL}",
        (next_at, error, inv_id, owner),
    )


def release(conn: Any, owner: str, now: float) -> int:
    """Hand back everything this owner leased: unstarted ones as they were, interrupted
    running ones as retrying now (their attempt was counted)."""
    cur = conn.execute(
        "UPDATE invocations SET run_at = not_before, lease_owner = NULL "
        "WHERE lease_owner = ? AND status IN ('queued', 'retrying')",
        (owner,),
    )
    released = int(cur.rowcount)
    running = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM invocations WHERE lease_owner = ? AND status = 'running'", (owner,)
        ).fetchall()
    ]
    why = "interrupted by shutdown"
    for inv_id in running:
        conn.execute(
            _sql(
                conn,
                "UPDATE invocations SET status = 'retrying', run_at = ?, not_before = ?, "
                f"last_error = ?, lease_owner = NULL, history = {A} WHERE id = ?",
            ),
            (now, now, why, "retrying", now, why, inv_id),
        )
    conn.execute(
        "UPDATE outbox SET run_at = ?, lease_owner = NULL WHERE lease_owner = ?", (now, owner)
    )
    return released + len(running)


def stop(conn: Any, inv_id: str, now: float, routing: Routing, dedup_window: float) -> Status:
    row = conn.execute("SELECT status FROM invocations WHERE id = ?", (inv_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no invocation {inv_id!r}")
    before = Status(row[0])
    if before not in ACTIVE:
        raise InvalidStateError(f"invocation {inv_id} is already {before}; only active ones stop")
    # Guarded by the status just read: another daemon may finish it in between.
    cur = conn.execute(
        _sql(
            conn,
            "UPDATE invocations SET status = 'stopped', condition = 'Stopped', finished_at = ?, "
            f"run_at = NULL, lease_owner = NULL, history = {A} WHERE id = ? AND status = ?",
        ),
        (now, "stopped", now, f"stopped while {before}", inv_id, str(before)),
    )
    if not cur.rowcount:
        raise InvalidStateError(f"invocation {inv_id} changed while stopping; look again")
    route(conn, routing, now, dedup_window)
    return before


def redrive(conn: Any, inv_id: str, now: float, deadline: float) -> None:
    row = conn.execute("SELECT status FROM invocations WHERE id = ?", (inv_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no invocation {inv_id!r}")
    if Status(row[0]) not in REDRIVABLE:
        raise InvalidStateError(
            f"invocation {inv_id} is {row[0]}; only failed, expired or stopped ones are redriven"
        )
    cur = conn.execute(
        _sql(
            conn,
            "UPDATE invocations SET status = 'queued', attempts = 0, not_before = ?, run_at = ?, "
            "deadline = ?, condition = NULL, finished_at = NULL, lease_owner = NULL, "
            f"history = {A} WHERE id = ? AND status = ?",
        ),
        (now, now, deadline, "queued", now, "redriven", inv_id, row[0]),
    )
    if not cur.rowcount:
        raise InvalidStateError(f"invocation {inv_id} changed while redriving; look again")


def get(conn: Any, inv_id: str) -> Invocation | None:
    row = conn.execute(
        f"SELECT {COLUMNS}, history FROM invocations WHERE id = ?", (inv_id,)
    ).fetchone()
    if row is None:
        return None
    inv = to_invocation(row)
    inv.history = to_transitions(row[-1])
    return inv


_CONDITIONS_OF = {
    "failed": ("RetriesExhausted", "NonRetryableError"),
    "expired": ("EventAgeExceeded",),
    "stopped": ("Stopped",),
}


def list_page(conn: Any, query: ListQuery) -> Page:
    where: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("function = ?", query.function),
        ("status = ?", None if query.status is None else str(query.status)),
        ("created_at >= ?", query.created_after),
        ("created_at < ?", query.created_before),
        ("id < ?", query.cursor),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    conditions = _CONDITIONS_OF.get(str(query.status))
    if conditions:  # lets the planner use invocations_unsuccessful
        where.append(f"condition IN ({', '.join('?' for _ in conditions)})")
        params.extend(conditions)
    sql = f"SELECT {COLUMNS} FROM invocations"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = conn.execute(f"{sql} ORDER BY id DESC LIMIT ?", (*params, query.limit + 1)).fetchall()
    items = [to_invocation(r) for r in rows[: query.limit]]
    more = len(rows) > query.limit
    return Page(items=items, next_cursor=items[-1].id if more and items else None)


def purge(conn: Any, cutoff: float, now: float, chunk: int = 1000) -> int:
    ids = [
        r[0]
        for r in conn.execute(
            # Ids sort by creation time, so the primary key bounds the scan to old rows.
            "SELECT id FROM invocations WHERE id < ? AND finished_at IS NOT NULL "
            "AND finished_at < ? LIMIT ?",
            (id_before(cutoff), cutoff, chunk),
        ).fetchall()
    ]
    if ids:
        marks = ", ".join("?" for _ in ids)
        conn.execute(f"DELETE FROM invocations WHERE id IN ({marks})", ids)
    conn.execute("DELETE FROM idempotency WHERE expires_at <= ?", (now,))
    return len(ids)


def counts(conn: Any) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, COUNT(*) FROM invocations WHERE run_at IS NOT NULL GROUP BY status"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def backlog(conn: Any, cap: int) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM invocations WHERE run_at IS NOT NULL LIMIT ?) AS a",
        (cap,),
    ).fetchone()
    return int(row[0])


def get_checkpoint(conn: Any, name: str) -> str | None:
    row = conn.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def set_checkpoint(conn: Any, checkpoint: Checkpoint, now: float) -> None:
    conn.execute(
        "INSERT INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (checkpoint.name, checkpoint.value, now),
    )


def write_probe(conn: Any, now: float, size: int) -> None:
    """Rewrite the probe row with `size` fresh bytes: a write that needs new space, as a
    submit does, where rewriting a few bytes in place could succeed on a full disk."""
    conn.execute(
        "INSERT INTO write_probe (id, written_at, padding) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at, "
        "padding = excluded.padding",
        (now, os.urandom(size)),
    )


def claim_source(conn: Any, name: str, owner: str, now: float, until: float) -> str:
    """Take or renew the lease on a single-reader source; returns who holds it now. One
    statement, so two daemons racing for a free or expired lease cannot both win."""
    conn.execute(
        "INSERT INTO source_leases (name, owner, expires_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
        "WHERE source_leases.owner = excluded.owner OR source_leases.expires_at < ?",
        (name, owner, until, now),
    )
    row = conn.execute("SELECT owner FROM source_leases WHERE name = ?", (name,)).fetchone()
    return str(row[0])


def release_source(conn: Any, name: str, owner: str) -> None:
    conn.execute("DELETE FROM source_leases WHERE name = ? AND owner = ?", (name, owner))


def lease_deliveries(
    conn: Any, owner: str, now: float, limit: int, lease_until: float, lock: str = ""
) -> list[Delivery]:
    rows = conn.execute(
        "UPDATE outbox SET run_at = ?, lease_owner = ? WHERE id IN ("
        f"SELECT id FROM outbox WHERE run_at <= ? ORDER BY run_at LIMIT ? {lock}"
        ") RETURNING id, invocation_id, slot, destination, record, attempts",
        (lease_until, owner, now, limit),
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


def next_delivery(conn: Any) -> float | None:
    row = conn.execute("SELECT MIN(run_at) FROM outbox").fetchone()
    return None if row is None or row[0] is None else float(row[0])


def delivered(conn: Any, delivery: Delivery, now: float, detail: str) -> None:
    conn.execute("DELETE FROM outbox WHERE id = ?", (delivery.id,))
    note(conn, delivery.invocation_id, now, "delivered", detail)


def delivery_failed(
    conn: Any, delivery: Delivery, now: float, error: str, next_at: float | None
) -> None:
    if next_at is not None:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, run_at = ?, last_error = ?, "
            "lease_owner = NULL WHERE id = ?",
            (next_at, error, delivery.id),
        )
        return
    conn.execute("DELETE FROM outbox WHERE id = ?", (delivery.id,))
    conn.execute(
        _sql(conn, f"UPDATE invocations SET destination_error = ?, history = {A} WHERE id = ?"),
        (f"{delivery.slot}: {error}", "delivery_failed", now, error, delivery.invocation_id),
    )


def encode_response(value: Any, limit: int) -> bytes | None:
    """The response as stored: JSON, cut to `limit` bytes (then kept as a truncated string)."""
    if value is None:
        return None
    try:
        raw = orjson.dumps(value)
    except TypeError:
        raw = orjson.dumps(repr(value))
    if len(raw) <= limit:
        return raw
    text = raw.decode("utf-8", "replace")[: max(0, limit - 64)]
    return orjson.dumps({"truncated": True, "bytes": len(raw), "head": text})
