"""Singleton and cancel_on: the invocations a submit makes final (a singleton's skipped or
replaced one, those a `cancel_on` event cancels), and which of a set are stopped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.flow import key_ops
from hub.flow.outcome import Stopped
from hub.flow.plan import Cancel, SingletonPlan
from hub.status import Condition
from hub.store.connection import HISTORY, Connection, transition, with_history

# A holder id not found in `invocations`: purged long ago, or committed by another daemon so
# recently that this statement's snapshot missed it. Only the first is free.
UNSEEN_GRACE = 60.0

_ACTIVE = ("queued", "running", "retrying")
_ACTIVE_SQL = "('queued', 'running', 'retrying')"


def singleton(
    conn: Connection, item: key_ops.Holder, plan: SingletonPlan, stopped: list[Stopped], now: float
) -> str | None:
    """Take the key for `item`; returns the active holder `item` must yield to (skip mode).
    A holder it replaces (cancel mode) goes to `stopped`."""
    held = key_ops.take(conn, item, "singleton", plan.key, now)
    if held is None:
        return None
    holder, since = held
    if holder == item.id:
        return None  # a redriven one that held the key before it ended
    status = _status(conn, holder)
    free = status is None and since < now - UNSEEN_GRACE
    if status is not None and status not in _ACTIVE:
        free = True
    if not free and not plan.cancel:
        return holder
    if not free and status is not None:
        detail = f"singleton: replaced by {item.id}"
        if stop(conn, holder, status, Condition.CANCELLED, detail, now):
            stopped.append(Stopped(holder, status, Condition.CANCELLED, detail))
    key_ops.hand_over(conn, item, "singleton", plan.key, now)
    return None


def _status(conn: Connection, inv_id: str) -> str | None:
    row = conn.execute("SELECT status FROM invocations WHERE id = :id", {"id": inv_id}).fetchone()
    return None if row is None else str(row[0])


def cancel(conn: Connection, cancel: Cancel, now: float) -> list[Stopped]:
    rows = conn.execute(
        "SELECT i.id, i.status FROM flow_marks AS m JOIN invocations AS i "
        "ON i.id = m.invocation_id WHERE m.function = :function AND m.mark = :mark "
        f"AND i.status IN {_ACTIVE_SQL}",
        {"function": cancel.function, "mark": cancel.mark},
    ).fetchall()
    detail = f"cancelled by event {cancel.by}"
    stopped = [
        Stopped(str(inv_id), str(status), Condition.CANCELLED, detail)
        for inv_id, status in rows
        if stop(conn, str(inv_id), str(status), Condition.CANCELLED, detail, now)
    ]
    conn.execute(
        "DELETE FROM flow_marks WHERE function = :function AND mark = :mark",
        {"function": cancel.function, "mark": cancel.mark},
    )
    return stopped


def stop(
    conn: Connection, inv_id: str, before: str, condition: Condition, detail: str, now: float
) -> bool:
    """Final as stopped with `condition`, guarded by the status just read (another daemon may
    finish it in between); a running attempt's outcome is then refused by its lease guard."""
    params: dict[str, Any] = {
        "now": now,
        "id": inv_id,
        "before": before,
        "condition": str(condition),
        "detail": detail,
        **transition("stopped", now, detail),
    }
    cur = conn.execute(
        with_history(
            conn,
            "UPDATE invocations SET status = 'stopped', condition = :condition, "
            "last_error = :detail, finished_at = :now, run_at = NULL, lease_owner = NULL, "
            f"history = {HISTORY} WHERE id = :id AND status = :before",
        ),
        params,
    )
    return bool(cur.rowcount)


def stopped_among(conn: Connection, *, inv_ids: Sequence[str]) -> list[str]:
    names = {f"i{n}": inv_id for n, inv_id in enumerate(inv_ids)}
    listed = ", ".join(f":{name}" for name in names)
    rows = conn.execute(
        f"SELECT id FROM invocations WHERE id IN ({listed}) AND status = 'stopped'", names
    ).fetchall()
    return [str(row[0]) for row in rows]
