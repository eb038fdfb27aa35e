"""Reading invocations (one, a page, counts) and purging old finished ones."""

from __future__ import annotations

from typing import Any

from hub.ids import id_before
from hub.invocation import Invocation
from hub.status import ACTIVE
from hub.store.base import ListQuery, Page
from hub.store.connection import Connection
from hub.store.rows import COLUMNS, to_invocation, to_transitions

# Which conditions each final status has: naming them lets the planner use the
# invocations_unsuccessful index (see _by_condition).
_CONDITIONS_OF = {
    "failed": ("RetriesExhausted", "NonRetryableError"),
    "expired": ("EventAgeExceeded",),
    "stopped": ("Stopped",),
}


def get(conn: Connection, inv_id: str) -> Invocation | None:
    row = conn.execute(
        f"SELECT {COLUMNS}, history FROM invocations WHERE id = :id", {"id": inv_id}
    ).fetchone()
    if row is None:
        return None
    inv = to_invocation(row)
    inv.history = to_transitions(row[-1])
    return inv


def list_page(conn: Connection, query: ListQuery) -> Page:
    params: dict[str, Any] = {"limit": query.limit + 1}
    where = listing_conditions(query, params)
    conditions = _CONDITIONS_OF.get(str(query.status))
    if conditions:
        sql = _by_condition(where, conditions, params)
    else:
        sql = f"SELECT {COLUMNS} FROM invocations"
        if where:
            sql += " WHERE " + " AND ".join(where)
    rows = conn.execute(f"{sql} ORDER BY id DESC LIMIT :limit", params).fetchall()
    items = [to_invocation(r) for r in rows[: query.limit]]
    more = len(rows) > query.limit
    return Page(items=items, next_cursor=items[-1].id if more and items else None)


def listing_conditions(query: ListQuery, params: dict[str, Any]) -> list[str]:
    """The SQL conditions of a listing's filters and cursor (its limit aside), their values
    added to `params`."""
    where: list[str] = []
    for clause, name, value in (
        ("function = :function", "function", query.function),
        ("status = :status", "status", None if query.status is None else str(query.status)),
        ("created_at >= :after", "after", query.created_after),
        ("created_at < :before", "before", query.created_before),
        ("id < :cursor", "cursor", query.cursor),
    ):
        if value is not None:
            where.append(clause)
            params[name] = value
    if query.status in ACTIVE:
        where.append("run_at IS NOT NULL")  # lets the planner walk invocations_active
    return where


def _by_condition(where: list[str], conditions: tuple[str, ...], params: dict[str, Any]) -> str:
    """A final status's page: one newest-first walk of the invocations_unsuccessful index per
    condition (`condition <> 'Success'` lets the planner use that partial index), merged. Asked
    for several conditions in one walk, the planner would sort every matching row; scanning
    by id instead costs a pass over the whole table when the status is rare."""
    arms = []
    for n, condition in enumerate(conditions):
        params[f"c{n}"] = condition
        match = " AND ".join([*where, "condition <> 'Success'", f"condition = :c{n}"])
        arms.append(
            f"SELECT id FROM (SELECT id FROM invocations WHERE {match} "
            f"ORDER BY id DESC LIMIT :limit) AS arm{n}"
        )
    return f"SELECT {COLUMNS} FROM invocations WHERE id IN ({' UNION ALL '.join(arms)})"


def counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, COUNT(*) FROM invocations WHERE run_at IS NOT NULL GROUP BY status"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def backlog(conn: Connection, cap: int) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM invocations WHERE run_at IS NOT NULL LIMIT :cap) AS a",
        {"cap": cap},
    ).fetchone()
    return int(row[0])


def purge(conn: Connection, *, cutoff: float, now: float, chunk: int = 1000) -> int:
    """Delete up to `chunk` invocations finished before `cutoff`, and expired idempotency
    keys; returns how many invocations went."""
    rows = conn.execute(
        # Ids sort by creation time, so the primary key bounds the scan to old rows.
        "SELECT id FROM invocations WHERE id < :oldest AND finished_at IS NOT NULL "
        "AND finished_at < :cutoff LIMIT :chunk",
        {"oldest": id_before(cutoff), "cutoff": cutoff, "chunk": chunk},
    ).fetchall()
    ids = {f"i{n}": r[0] for n, r in enumerate(rows)}
    if ids:
        marks = ", ".join(f":{name}" for name in ids)
        conn.execute(f"DELETE FROM invocations WHERE id IN ({marks})", ids)
    conn.execute("DELETE FROM idempotency WHERE expires_at <= :now", {"now": now})
    return len(ids)
