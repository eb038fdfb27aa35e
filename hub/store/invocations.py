"""The invocation aggregate's writes up to the lease: submit and lease (an attempt's start and
outcome are attempts.py).

The history lives in the row as a JSON array of [status, at, detail] and grows with each
transition inside the same UPDATE that changes the status: no second table or index to write
on the hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from hub.invocation import Invocation, NewInvocation
from hub.store import flow_lanes, flow_lease, pauses, positions
from hub.store.base import Checkpoint, Submitted
from hub.store.connection import Connection, positional
from hub.store.rows import COLUMNS, NEW_ROW, to_invocation
from hub.store.submit_lease import SubmitLease, lease_new

_CLAIM_KEY = (
    "INSERT INTO idempotency (function, key, invocation_id, expires_at) "
    "VALUES (:function, :key, :id, :expires_at) "
    "ON CONFLICT (function, key) DO UPDATE SET invocation_id = excluded.invocation_id, "
    "expires_at = excluded.expires_at WHERE idempotency.expires_at <= :now "
    "RETURNING invocation_id"
)
_INSERT = (
    "INSERT INTO invocations (id, function, status, event, attempts, invoke_count, created_at, "
    "not_before, deadline, idempotency_key, run_at, lease_owner, history, ordering_key) "
    "VALUES (:id, :function, 'queued', :event, 0, 0, :now, :not_before, :deadline, :key, "
    ":run_at, :owner, :history, :ordering_key)"
)
# An ordered invocation is eligible only while no older one of its key is still active
# (queued, leased, running or retrying): one at a time per key, in submission order.
_HEAD_OF_ITS_KEY = (
    "(c.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM invocations AS o "
    "WHERE o.function = c.function AND o.ordering_key = c.ordering_key "
    "AND o.run_at IS NOT NULL AND o.id < c.id))"
)


def submit(
    conn: Connection,
    items: Sequence[NewInvocation],
    *,
    now: float,
    dedup_window: float,
    checkpoint: Checkpoint | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    lease: SubmitLease | None = None,
) -> list[Submitted]:
    """Insert the new invocations (a duplicate idempotency key gives the first one's id);
    with `lease`, those that may start now are leased by this commit (submit_lease.py).
    `checkpoints`: several sources' positions, when their events commit together (the timers
    of one instant)."""
    results: list[Submitted] = []
    inserts: list[NewInvocation] = []
    for item in items:
        key = item.idempotency_key
        if key is not None:
            claim = {
                "function": item.function,
                "key": key,
                "id": item.id,
                "expires_at": now + dedup_window,
                "now": now,
            }
            if conn.execute(_CLAIM_KEY, claim).fetchone() is None:
                results.append(Submitted(_holder(conn, item.function, key), created=False))
                continue
        inserts.append(item)
        results.append(Submitted(item.id, created=True))
    if inserts:
        rows = _rows(inserts, now)
        if lease is not None:
            lease_new(conn, lease, inserts, rows, now)
        conn.executemany(_insert_sql(conn), rows)
        flow_lanes.mark(conn, inserts)
    if checkpoint is not None:
        positions.set_checkpoint(conn, checkpoint=checkpoint, now=now)
    if checkpoints:
        positions.set_checkpoints(conn, checkpoints=checkpoints, now=now)
    return results


def _rows(items: Sequence[NewInvocation], now: float) -> list[list[Any]]:
    # Every row of a submit starts with the same history but for deferral: each written once
    # per submit, not once per row.
    histories: dict[bool, str] = {}
    rows = []
    for item in items:
        deferred = item.not_before > now
        history = histories.get(deferred)
        if history is None:
            created = [["queued", now, "deferred" if deferred else None]]
            history = histories[deferred] = orjson.dumps(created).decode()
        rows.append(_row(item, now, history))
    return rows


def _row(item: NewInvocation, now: float, history: str) -> list[Any]:
    # Bound by position, in NEW_ROW (rows.py): a dict per row and binding by name cost more than
    # the rest of building it. A list, so a lease at submit can mark the row leased.
    not_before = item.not_before
    return [
        item.id,
        item.function,
        item.event_json,
        now,
        not_before,
        item.deadline,
        item.idempotency_key,
        not_before,
        None,
        history,
        item.ordering_key,
    ]


_BUILT: dict[str, str] = {}


def _insert_sql(conn: Connection) -> str:
    sql = _BUILT.get(conn.placeholder)
    if sql is None:
        sql, names = positional(conn, _INSERT)
        if names != NEW_ROW:
            raise AssertionError(f"the INSERT binds {names}, submit passes {NEW_ROW}")
        _BUILT[conn.placeholder] = sql
    return sql


def _holder(conn: Connection, function: str, key: str) -> str:
    row = conn.execute(
        "SELECT invocation_id FROM idempotency WHERE function = :function AND key = :key",
        {"function": function, "key": key},
    ).fetchone()
    return str(row[0])


def lease(
    conn: Connection, *, owner: str, now: float, limit: int, lease_until: float, lock: str = ""
) -> tuple[list[Invocation], float | None]:
    not_paused, paused = pauses.lease_filter(conn)
    if flow_lease.any_due(conn, now=now):
        return flow_lease.lease(
            conn,
            owner=owner,
            now=now,
            limit=limit,
            lease_until=lease_until,
            shared=bool(lock),
            next_due=next_due(conn, now=now),
            paused=set(paused.values()),
        )
    rows = conn.execute(
        "UPDATE invocations SET run_at = :lease_until, lease_owner = :owner WHERE id IN ("
        f"SELECT id FROM invocations AS c WHERE run_at <= :now {flow_lease.plain_only(lock)}"
        f"AND {_HEAD_OF_ITS_KEY} "
        f"{not_paused}ORDER BY run_at LIMIT :limit {lock}"
        f") RETURNING {COLUMNS}",
        {"lease_until": lease_until, "owner": owner, "now": now, "limit": limit, **paused},
    ).fetchall()
    leased = sorted((to_invocation(r) for r in rows), key=lambda inv: inv.not_before)
    if paused:
        # What this lease read past: every due row if it was not full, else up to the last
        # row it took (by its not_before: a lower bound of the run_at it had).
        upto = now if len(leased) < limit else leased[-1].not_before
        pauses.park_passed(conn, paused, upto=upto, shared=bool(lock))
    return leased, next_due(conn, now=now)


def next_due(conn: Connection, *, now: float) -> float | None:
    """The next time something becomes due. Due rows left after a lease that was not full are
    waiting behind the head of their ordering key; finishing that head wakes the dispatcher."""
    row = conn.execute(
        "SELECT MIN(run_at) FROM invocations WHERE run_at > :now", {"now": now}
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])
