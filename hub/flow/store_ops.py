"""The flow-controlled submit, one transaction: cancellations first, then each new invocation
in order (a debounce may fold it into the pending one of its key, a singleton may skip it or
stop the one it replaces), then the source checkpoint. The keys it holds: key_ops.py; debounce
and batching: fold_ops.py; singleton and cancel_on: stop_ops.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from hub.flow import fold_ops, key_ops, stop_ops
from hub.flow.key_ops import LONGEST_ATTEMPT
from hub.flow.outcome import FlowOutcome, Stopped
from hub.flow.plan import Cancel, FlowPlan
from hub.invocation import NewInvocation
from hub.status import Condition
from hub.store import invocations, positions
from hub.store.base import Checkpoint, Submitted
from hub.store.connection import Connection


def submit(
    conn: Connection,
    items: Sequence[NewInvocation],
    plans: Sequence[FlowPlan | None],
    cancels: Sequence[Cancel],
    *,
    now: float,
    dedup_window: float,
    checkpoint: Checkpoint | None = None,
) -> FlowOutcome:
    # The committer runs this op again alone when the transaction it shared fails (a deadlock
    # with another daemon's submit): debounce and batching rewrite an item's event and due
    # time, so each run starts from copies of the items as they were given.
    items = [dataclasses.replace(item) for item in items]
    outcome = FlowOutcome([])
    for cancel in cancels:
        outcome.stopped += stop_ops.cancel(conn, cancel, now)
    if any(plan is not None for plan in plans):
        key_ops.sweep(conn, now)
    for item, plan in zip(items, plans, strict=True):
        if plan is None:
            [done] = invocations.submit(conn, [item], now=now, dedup_window=dedup_window)
        else:
            done = _one(conn, item, plan, outcome, now=now, dedup_window=dedup_window)
        outcome.submitted.append(done)
        due = outcome.earliest_due
        if done.created and (due is None or item.not_before < due):
            outcome.earliest_due = item.not_before
    if checkpoint is not None:
        positions.set_checkpoint(conn, checkpoint=checkpoint, now=now)
    return outcome


def _one(
    conn: Connection,
    item: NewInvocation,
    plan: FlowPlan,
    outcome: FlowOutcome,
    *,
    now: float,
    dedup_window: float,
) -> Submitted:
    if item.idempotency_key is not None:
        seen = _deduplicated(conn, item, now)
        if seen is not None:
            return Submitted(seen, created=False)
    if plan.debounce is not None or plan.batch is not None:
        if plan.debounce is not None:
            pending = fold_ops.debounce(conn, item, plan.debounce, now)
        else:
            assert plan.batch is not None
            pending = fold_ops.batch(conn, item, plan.batch, now)
        if pending is not None:
            _point_key_at(conn, item, pending, now, dedup_window)
            if plan.debounce is not None:
                # It now runs this event: this event's fields are what cancel it.
                conn.execute("DELETE FROM flow_marks WHERE invocation_id = :id", {"id": pending})
                _add_marks(conn, item, plan.marks, inv_id=pending)
            return Submitted(pending, created=False, folded=True)
    skip_for: str | None = None
    if plan.singleton is not None:
        skip_for = stop_ops.singleton(conn, item, plan.singleton, outcome.stopped, now)
    [done] = invocations.submit(conn, [item], now=now, dedup_window=dedup_window)
    if not done.created:
        return done
    if skip_for is not None:
        detail = f"singleton: yielded to {skip_for}"
        if stop_ops.stop(conn, item.id, "queued", Condition.SKIPPED, detail, now):
            outcome.stopped.append(Stopped(item.id, "queued", Condition.SKIPPED, detail))
    else:
        _add_marks(conn, item, plan.marks, inv_id=item.id)
    return done


def _add_marks(conn: Connection, item: NewInvocation, marks: list[str], *, inv_id: str) -> None:
    if not marks:
        return
    conn.executemany(
        "INSERT INTO flow_marks (function, mark, invocation_id, expires_at) "
        "VALUES (:function, :mark, :id, :expires_at) ON CONFLICT DO NOTHING",
        [
            {
                "function": item.function,
                "mark": mark,
                "id": inv_id,
                # A fold moves the pending one's deadline to at most this one's plus a
                # period (7 days at most): LONGEST_ATTEMPT still covers it.
                "expires_at": item.deadline + LONGEST_ATTEMPT,
            }
            for mark in marks
        ],
    )


def _deduplicated(conn: Connection, item: NewInvocation, now: float) -> str | None:
    row = conn.execute(
        "SELECT invocation_id FROM idempotency WHERE function = :function AND key = :key "
        "AND expires_at > :now",
        {"function": item.function, "key": item.idempotency_key, "now": now},
    ).fetchone()
    return None if row is None else str(row[0])


def _point_key_at(
    conn: Connection, item: NewInvocation, holder: str, now: float, dedup_window: float
) -> None:
    """The folded event's idempotency key names the invocation that carries it now, so a
    redelivery of it is recognised."""
    if item.idempotency_key is None:
        return
    conn.execute(
        "INSERT INTO idempotency (function, key, invocation_id, expires_at) "
        "VALUES (:function, :key, :id, :expires_at) "
        "ON CONFLICT (function, key) DO UPDATE SET invocation_id = excluded.invocation_id, "
        "expires_at = excluded.expires_at",
        {
            "function": item.function,
            "key": item.idempotency_key,
            "id": holder,
            "expires_at": now + dedup_window,
        },
    )
