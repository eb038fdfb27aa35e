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
from hub.store.connection import (
    HISTORY,
    Connection,
    positional,
    transition,
    with_history,
    with_two_history,
)
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
    # Bound by position (see _FINAL_ORDER): every finished attempt runs this statement.
    text = str(status)
    detail = error or condition
    if started is None:
        values: tuple[Any, ...] = (
            text,
            condition,
            error,
            response,
            now,
            text,
            now,
            detail,
            inv_id,
            owner,
        )
    else:
        began = started["now"]
        values = (
            text,
            condition,
            began,
            error,
            response,
            now,
            "running",
            began,
            f"attempt {started['attempt']}",
            text,
            now,
            detail,
            inv_id,
            owner,
        )
    cur = conn.execute(_final_sql(conn, with_start=started is not None), values)
    if not cur.rowcount:
        return False
    route(conn, routing, now=now, dedup_window=dedup_window)
    return True


_FINAL = (
    "UPDATE invocations SET status = :status, condition = :condition, {start}"
    "last_error = COALESCE(:error, last_error), response = :response, "
    f"finished_at = :now, run_at = NULL, lease_owner = NULL, history = {HISTORY} {_HELD}"
)
_FINAL_ONLY = _FINAL.replace("{start}", "")
# The final status's UPDATE writing the attempt's start too: what `start` writes.
_FINAL_AND_START = _FINAL.replace(
    "{start}",
    "attempts = attempts + 1, invoke_count = invoke_count + 1, started_at = :started_at, ",
)


# The order in which finalize binds its values, checked against the statement when it is built.
_FINAL_ORDER = ("status", "condition", "error", "response", "now")
_HISTORY_ORDER = ("h_status", "h_at", "h_detail")
_HELD_ORDER = ("id", "owner")


_BUILT: dict[tuple[str, str, bool], str] = {}


def _final_sql(conn: Connection, *, with_start: bool) -> str:
    key = (
        conn.append_two_history if with_start else conn.append_history,
        conn.placeholder,
        with_start,
    )
    sql = _BUILT.get(key)
    if sql is None:
        sql = _BUILT[key] = _build_final(conn, with_start)
    return sql


def _build_final(conn: Connection, with_start: bool) -> str:
    if with_start:
        named = with_two_history(conn, _FINAL_AND_START)
        s_order = tuple(n.replace("h_", "s_") for n in _HISTORY_ORDER)
        order = ("status", "condition", "started_at", *_FINAL_ORDER[2:], *s_order)
    else:
        named = with_history(conn, _FINAL_ONLY)
        order = _FINAL_ORDER
    sql, names = positional(conn, named)
    if names != (*order, *_HISTORY_ORDER, *_HELD_ORDER):
        raise AssertionError(f"the final UPDATE binds {names}, finalize passes {order}")
    return sql


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
