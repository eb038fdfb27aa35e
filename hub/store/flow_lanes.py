"""Lanes of flow-controlled invocations (table flow_lanes): a submit writes an invocation's
flow-control columns and brings its lane forward; a redrive brings it back into turn. The
lease serves the lanes (flow_lease.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from hub.invocation import NewInvocation
from hub.store.connection import Connection

IDLE = 1e18
"""`served_at` of a lane with nothing left in stores written before such lanes were deleted:
last in line, and brought back by a submit into it."""

_MARK = (
    "UPDATE invocations SET priority = :priority, flow_key = :flow_key, "
    "flow_limit = :flow_limit, rate_key = :rate_key, rate_interval = :rate_interval, "
    "rate_burst = :rate_burst, lane = :lane WHERE id = :id"
)
_JOIN_LANE = (
    "INSERT INTO flow_lanes (function, key, served_at, version, width) "
    "VALUES (:function, :lane, 0, 0, :width) "
    "ON CONFLICT (function, key) DO UPDATE SET version = flow_lanes.version + 1, "
    "width = excluded.width, "
    f"served_at = CASE WHEN flow_lanes.served_at >= {IDLE} THEN 0 ELSE flow_lanes.served_at END"
)


def mark(conn: Connection, items: Sequence[NewInvocation]) -> None:
    """Write the flow-control columns of the just inserted invocations that have them, and
    bring their lanes forward."""
    rows = [_flow_row(item) for item in items if item.flow is not None]
    if not rows:
        return
    conn.executemany(_MARK, rows)
    lanes = {(r["function"], r["lane"]): r["flow_limit"] for r in rows if r["lane"] is not None}
    conn.executemany(
        _JOIN_LANE,
        [{"function": f, "lane": lane, "width": lanes[f, lane]} for f, lane in sorted(lanes)],
    )


def carry(conn: Connection, item: NewInvocation, *, inv_id: str) -> None:
    """Invocation `inv_id` now carries `item`'s event (a debounce folded it in): that event's
    priority and keys limit it, as they would had it been submitted alone."""
    if item.flow is None:
        conn.execute(_PLAIN_AGAIN, {"id": inv_id})
    else:
        mark(conn, [replace(item, id=inv_id)])


_PLAIN_AGAIN = (
    "UPDATE invocations SET priority = NULL, flow_key = NULL, flow_limit = NULL, "
    "rate_key = NULL, rate_interval = NULL, rate_burst = NULL, lane = NULL WHERE id = :id"
)


def _flow_row(item: NewInvocation) -> dict[str, Any]:
    flow = item.flow
    assert flow is not None
    lane = flow.concurrency_key if flow.concurrency_key is not None else flow.rate_key
    return {
        "id": item.id,
        "function": item.function,
        "priority": flow.priority,
        "flow_key": flow.concurrency_key,
        "flow_limit": flow.concurrency_limit,
        "rate_key": flow.rate_key,
        "rate_interval": flow.rate_interval,
        "rate_burst": flow.rate_burst,
        "lane": lane,
    }


def wake_lane(conn: Connection, *, inv_id: str) -> None:
    """Bring an invocation's lane back into turn: for anything that makes a final invocation
    due again (a redrive), as a submit does for a new one."""
    conn.execute(
        "INSERT INTO flow_lanes (function, key, served_at, version, width) "
        "SELECT function, lane, 0, 0, flow_limit FROM invocations "
        "WHERE id = :id AND lane IS NOT NULL "
        "ON CONFLICT (function, key) DO UPDATE SET version = flow_lanes.version + 1, "
        f"served_at = CASE WHEN flow_lanes.served_at >= {IDLE} THEN 0 "
        "ELSE flow_lanes.served_at END",
        {"id": inv_id},
    )
