"""Debounce and batching: a new event folded into its key's pending invocation (debounce: it
replaces the event; batching: it joins the batch), or made the key's pending one."""

from __future__ import annotations

from typing import Any

import orjson

from hub.events import WireEvent
from hub.flow import key_ops
from hub.flow.plan import BatchPlan, DebouncePlan
from hub.invocation import NewInvocation
from hub.store import flow_lanes
from hub.store.connection import Connection

BATCH_TYPE = "triggerhub.batch"


def debounce(conn: Connection, item: NewInvocation, plan: DebouncePlan, now: float) -> str | None:
    """Fold `item` into its key's pending invocation (returning its id), or make `item` the
    key's pending one, due `period` from now (and None)."""
    held = key_ops.take(conn, item, "debounce", plan.key, now)
    if held is not None:
        holder, since = held
        due = now + plan.period
        if plan.max_wait is not None:
            due = min(due, since + plan.max_wait)
        # Only while nobody leased it: a started one has its event, this one needs its own.
        # max_event_age counts from when the invocation is due: the deadline moves with it.
        cur = conn.execute(
            "UPDATE invocations SET event = :event, idempotency_key = :key, "
            "deadline = :due + (deadline - not_before), not_before = :due, run_at = :due "
            "WHERE id = :id AND status = 'queued' AND lease_owner IS NULL",
            {"event": item.event_json, "key": item.idempotency_key, "due": due, "id": holder},
        )
        if cur.rowcount:
            flow_lanes.carry(conn, item, inv_id=holder)
            return holder
        key_ops.hand_over(conn, item, "debounce", plan.key, now)
    _defer(item, now + plan.period)
    return None


def _defer(item: NewInvocation, due: float) -> None:
    if due > item.not_before:
        item.deadline += due - item.not_before
        item.not_before = due


def batch(conn: Connection, item: NewInvocation, plan: BatchPlan, now: float) -> str | None:
    """Append `item`'s event to its key's open batch (returning the batch's id), or make
    `item` a new batch of one, due `max_wait` from now (and None). A batch that reaches
    `max_size` is due at once and closed: the key's next event opens another."""
    member = orjson.loads(item.event_json)
    held = key_ops.take(conn, item, "batch", plan.key, now)
    if held is not None:
        holder, _ = held
        open_batch = "WHERE id = :id AND status = 'queued' AND lease_owner IS NULL"
        row = conn.execute(f"SELECT event FROM invocations {open_batch}", {"id": holder}).fetchone()
        if row is not None:
            batch = orjson.loads(bytes(row[0]))
            batch["data"].append(member)
            full = len(batch["data"]) >= plan.max_size
            due = ", deadline = :now + (deadline - not_before), not_before = :now, run_at = :now"
            cur = conn.execute(
                f"UPDATE invocations SET event = :event{due if full else ''} {open_batch}",
                {"event": orjson.dumps(batch), "now": now, "id": holder},
            )
            if cur.rowcount:
                if full:
                    key_ops.close(conn, item.function, "batch", plan.key)
                return holder
        key_ops.hand_over(conn, item, "batch", plan.key, now)
    item.event = WireEvent(orjson.dumps(_new_batch(item, member)))
    if plan.max_size == 1:
        key_ops.close(conn, item.function, "batch", plan.key)
    else:
        _defer(item, now + plan.max_wait)
    return None


def _new_batch(item: NewInvocation, member: dict[str, Any]) -> dict[str, Any]:
    """The batch's own CloudEvent: its id is the invocation's, so a partial failure can be
    written back to it (hub/flow/batching.py); each event keeps its id and idempotency key."""
    return {
        "specversion": "1.0",
        "id": item.id,
        "source": f"triggerhub/batch/{item.function}",
        "type": BATCH_TYPE,
        "data": [member],
    }


def narrow(conn: Connection, *, inv_id: str, event: bytes) -> bool:
    """A running batch's event cut down to the events its attempt reported failed."""
    cur = conn.execute(
        "UPDATE invocations SET event = :event WHERE id = :id AND status = 'running'",
        {"event": event, "id": inv_id},
    )
    return bool(cur.rowcount)
