"""An attempt's writes after the lease: its start, and its outcome (the final status with
what it routes on, a retry, a deferral).

Every state change is guarded by the status and lease it expects, so a stale executor cannot
overwrite a stop or a newer lease; the history grows inside the same UPDATE (invocations.py).
"""

from __future__ import annotations

from typing import Any

from hub.status import Status
from hub.store import outbox
from hub.store.base import Routing
from hub.store.connection import HISTORY, Connection, transition, with_history, with_two_history
from hub.store.invocations import submit

_ACTIVE_SQL = "('queued', 'running', 'retrying')"
_HELD = f"WHERE id = :id AND lease_owner = :owner AND status IN {_ACTIVE_SQL}"


def start(
    conn: Connection, *, inv_id: str, owner: str, now: float, run_until: float, attempt: int
) -> None:
    conn.execute(
        with_history(
            conn,
            "UPDATE invocations SET status = 'running', attempts = attempts + 1, "
            "invoke_count = invoke_count + 1, started_at = :now, run_at = :run_until, "
            f"history = {HISTORY} {_HELD}",
        ),
        {
            "now": now,
            "run_until": run_until,
            "id": inv_id,
            "owner": owner,
            **transition("running", now, f"attempt {attempt}"),
        },
    )


def finalize(
    conn: Connection,
    *,
    inv_id: str,
    owner: str,
    now: float,
    status: Status,
    condition: str,
    error: str | None,
    response: bytes | None,
    routing: Routing,
    dedup_window: float,
    started: dict[str, Any] | None = None,
) -> bool:
    """Commit the final status and what it routes on, if `owner` still holds the lease.
    `started`: the parameters of this attempt's start, not written yet (hub/store/starts.py),
    written by the same UPDATE."""
    if started is not None and started["owner"] != owner:
        start(conn, inv_id=inv_id, **started)  # not this owner's start: written as it was
        started = None
    if started is not None:
        return _start_and_finalize(
            conn,
            inv_id=inv_id,
            owner=owner,
            now=now,
            status=status,
            condition=condition,
            error=error,
            response=response,
            routing=routing,
            dedup_window=dedup_window,
            started=started,
        )
    cur = conn.execute(
        with_history(
            conn,
            "UPDATE invocations SET status = :status, condition = :condition, "
            "last_error = COALESCE(:error, last_error), response = :response, "
            "finished_at = :now, run_at = NULL, lease_owner = NULL, "
            f"history = {HISTORY} {_HELD}",
        ),
        {
            "status": str(status),
            "condition": condition,
            "error": error,
            "response": response,
            "now": now,
            "id": inv_id,
            "owner": owner,
            **transition(str(status), now, error or condition),
        },
    )
    if not cur.rowcount:
        return False
    route(conn, routing, now=now, dedup_window=dedup_window)
    return True


def _start_and_finalize(
    conn: Connection,
    *,
    inv_id: str,
    owner: str,
    now: float,
    status: Status,
    condition: str,
    error: str | None,
    response: bytes | None,
    routing: Routing,
    dedup_window: float,
    started: dict[str, Any],
) -> bool:
    """`start` then `finalize` of one attempt as one UPDATE: what the two would write."""
    cur = conn.execute(
        with_two_history(
            conn,
            "UPDATE invocations SET status = :status, condition = :condition, "
            "attempts = attempts + 1, invoke_count = invoke_count + 1, "
            "started_at = :started_at, last_error = COALESCE(:error, last_error), "
            "response = :response, finished_at = :now, run_at = NULL, lease_owner = NULL, "
            f"history = {HISTORY} {_HELD}",
        ),
        {
            "status": str(status),
            "condition": condition,
            "started_at": started["now"],
            "error": error,
            "response": response,
            "now": now,
            "id": inv_id,
            "owner": owner,
            **transition("running", started["now"], f"attempt {started['attempt']}", "s_"),
            **transition(str(status), now, error or condition),
        },
    )
    if not cur.rowcount:
        return False
    route(conn, routing, now=now, dedup_window=dedup_window)
    return True


def route(conn: Connection, routing: Routing, *, now: float, dedup_window: float) -> None:
    if routing.follow_ups:
        submit(conn, routing.follow_ups, now=now, dedup_window=dedup_window)
    outbox.enqueue(conn, routing.deliveries, now=now)


def retry(
    conn: Connection, *, inv_id: str, owner: str, now: float, next_at: float, error: str
) -> bool:
    cur = conn.execute(
        with_history(
            conn,
            "UPDATE invocations SET status = 'retrying', run_at = :next_at, "
            "not_before = :next_at, last_error = :error, lease_owner = NULL, "
            f"history = {HISTORY} {_HELD}",
        ),
        {
            "next_at": next_at,
            "error": error,
            "id": inv_id,
            "owner": owner,
            **transition("retrying", now, error),
        },
    )
    return bool(cur.rowcount)


def defer(conn: Connection, *, inv_id: str, owner: str, next_at: float, error: str) -> None:
    conn.execute(
        f"UPDATE invocations SET run_at = :next_at, last_error = :error, lease_owner = NULL "
        f"{_HELD}",
        {"next_at": next_at, "error": error, "id": inv_id, "owner": owner},
    )
