"""Status changes from outside an attempt: a stop or redrive asked by an operator, and the
release of everything a daemon leased when it shuts down."""

from __future__ import annotations

from hub.errors import InvalidStateError, NotFoundError
from hub.status import ACTIVE, REDRIVABLE, Status
from hub.store import flow_lanes, outbox
from hub.store.attempts import route
from hub.store.base import Routing
from hub.store.connection import HISTORY, Connection, transition, with_history


def release(conn: Connection, *, owner: str, now: float) -> int:
    """Hand back everything this owner leased: unstarted ones as they were, interrupted
    running ones as retrying now (their attempt was counted), and its outbox leases."""
    cur = conn.execute(
        "UPDATE invocations SET run_at = not_before, lease_owner = NULL "
        "WHERE lease_owner = :owner AND status IN ('queued', 'retrying')",
        {"owner": owner},
    )
    released = int(cur.rowcount)
    running = conn.execute(
        "SELECT id FROM invocations WHERE lease_owner = :owner AND status = 'running'",
        {"owner": owner},
    ).fetchall()
    why = "interrupted by shutdown"
    for (inv_id,) in running:
        conn.execute(
            with_history(
                conn,
                "UPDATE invocations SET status = 'retrying', run_at = :now, not_before = :now, "
                f"last_error = :error, lease_owner = NULL, history = {HISTORY} WHERE id = :id",
            ),
            {"now": now, "error": why, "id": inv_id, **transition("retrying", now, why)},
        )
    outbox.release(conn, owner=owner, now=now)
    return released + len(running)


def stop(
    conn: Connection, *, inv_id: str, now: float, routing: Routing, dedup_window: float
) -> Status:
    before = Status(_status_of(conn, inv_id))
    if before not in ACTIVE:
        raise InvalidStateError(f"invocation {inv_id} is already {before}; only active ones stop")
    # Guarded by the status just read: another daemon may finish it in between.
    cur = conn.execute(
        with_history(
            conn,
            "UPDATE invocations SET status = 'stopped', condition = 'Stopped', "
            f"finished_at = :now, run_at = NULL, lease_owner = NULL, history = {HISTORY} "
            "WHERE id = :id AND status = :before",
        ),
        {
            "now": now,
            "id": inv_id,
            "before": str(before),
            **transition("stopped", now, f"stopped while {before}"),
        },
    )
    if not cur.rowcount:
        raise InvalidStateError(f"invocation {inv_id} changed while stopping; look again")
    route(conn, routing, now=now, dedup_window=dedup_window)
    return before


def redrive(conn: Connection, *, inv_id: str, now: float, deadline: float) -> None:
    before = _status_of(conn, inv_id)
    if Status(before) not in REDRIVABLE:
        raise InvalidStateError(
            f"invocation {inv_id} is {before}; only failed, expired or stopped ones are redriven"
        )
    cur = conn.execute(
        with_history(
            conn,
            "UPDATE invocations SET status = 'queued', attempts = 0, not_before = :now, "
            "run_at = :now, deadline = :deadline, condition = NULL, finished_at = NULL, "
            f"lease_owner = NULL, history = {HISTORY} WHERE id = :id AND status = :before",
        ),
        {
            "now": now,
            "deadline": deadline,
            "id": inv_id,
            "before": before,
            **transition("queued", now, "redriven"),
        },
    )
    if not cur.rowcount:
        raise InvalidStateError(f"invocation {inv_id} changed while redriving; look again")
    flow_lanes.wake_lane(conn, inv_id=inv_id)


def _status_of(conn: Connection, inv_id: str) -> str:
    row = conn.execute("SELECT status FROM invocations WHERE id = :id", {"id": inv_id}).fetchone()
    if row is None:
        raise NotFoundError(f"no invocation {inv_id!r}")
    return str(row[0])
