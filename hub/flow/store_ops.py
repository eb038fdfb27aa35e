"""The flow-controlled submit, one transaction: cancellations first, then each new invocation
in order (a debounce may fold it into the pending one of its key, a singleton may skip it or
stop the one it replaces), then the source checkpoint.

Keys are held in `flow_keys`. Taking one is an INSERT … ON CONFLICT DO NOTHING; when the key is
already held, the row is locked (a no-op UPDATE) before its holder is read, so on PostgreSQL a
second daemon submitting with the same key waits for the first one's commit and then sees the
holder it committed. On SQLite the writer is alone anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.events import WireEvent
from hub.flow.plan import BatchPlan, Cancel, DebouncePlan, FlowPlan, SingletonPlan
from hub.invocation import NewInvocation
from hub.status import Condition
from hub.store import flow_lanes, invocations, positions
from hub.store.base import Checkpoint, Submitted
from hub.store.connection import HISTORY, Connection, transition, with_history

# Past its deadline an invocation is no longer started, an attempt begun before it lasts at most
# a function timeout (a day), and a debounce or batch may push the deadline on by its period (at
# most 7 days): after that its key and marks are certainly free.
LONGEST_ATTEMPT = 8 * 86400.0
# A holder id not found in `invocations`: purged long ago, or committed by another daemon so
# recently that this statement's snapshot missed it. Only the first is free.
UNSEEN_GRACE = 60.0

_ACTIVE = ("queued", "running", "retrying")
BATCH_TYPE = "triggerhub.batch"
_ACTIVE_SQL = "('queued', 'running', 'retrying')"


@dataclass(slots=True, frozen=True)
class Stopped:
    """An invocation this submit made final (cancelled, or skipped), the status it had, why."""

    id: str
    before: str
    condition: Condition
    detail: str


@dataclass(slots=True)
class FlowOutcome:
    submitted: list[Submitted]
    stopped: list[Stopped] = field(default_factory=list)


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
    outcome = FlowOutcome([])
    for cancel in cancels:
        outcome.stopped += _cancel(conn, cancel, now)
    if any(plan is not None for plan in plans):
        _sweep(conn, now)
    for item, plan in zip(items, plans, strict=True):
        if plan is None:
            [done] = invocations.submit(conn, [item], now=now, dedup_window=dedup_window)
        else:
            done = _one(conn, item, plan, outcome, now=now, dedup_window=dedup_window)
        outcome.submitted.append(done)
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
            pending = _debounce(conn, item, plan.debounce, now)
        else:
            assert plan.batch is not None
            pending = _batch(conn, item, plan.batch, now)
        if pending is not None:
            _point_key_at(conn, item, pending, now, dedup_window)
            if plan.debounce is not None:
                # It now runs this event: this event's fields are what cancel it.
                conn.execute("DELETE FROM flow_marks WHERE invocation_id = :id", {"id": pending})
                _add_marks(conn, item, plan.marks, inv_id=pending)
            return Submitted(pending, created=False, folded=True)
    skip_for: str | None = None
    if plan.singleton is not None:
        skip_for = _singleton(conn, item, plan.singleton, outcome, now)
    [done] = invocations.submit(conn, [item], now=now, dedup_window=dedup_window)
    if not done.created:
        return done
    if skip_for is not None:
        detail = f"singleton: yielded to {skip_for}"
        if _stop(conn, item.id, "queued", Condition.SKIPPED, detail, now):
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


def _debounce(conn: Connection, item: NewInvocation, plan: DebouncePlan, now: float) -> str | None:
    """Fold `item` into its key's pending invocation (returning its id), or make `item` the
    key's pending one, due `period` from now (and None)."""
    held = _take(conn, item, "debounce", plan.key, now)
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
        _hand_over(conn, item, "debounce", plan.key, now)
    _defer(item, now + plan.period)
    return None


def _defer(item: NewInvocation, due: float) -> None:
    if due > item.not_before:
        item.deadline += due - item.not_before
        item.not_before = due


def _batch(conn: Connection, item: NewInvocation, plan: BatchPlan, now: float) -> str | None:
    """Append `item`'s event to its key's open batch (returning the batch's id), or make
    `item` a new batch of one, due `max_wait` from now (and None). A batch that reaches
    `max_size` is due at once and closed: the key's next event opens another."""
    member = orjson.loads(item.event_json)
    held = _take(conn, item, "batch", plan.key, now)
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
                    _close(conn, item.function, "batch", plan.key)
                return holder
        _hand_over(conn, item, "batch", plan.key, now)
    item.event = WireEvent(orjson.dumps(_new_batch(item, member)))
    if plan.max_size == 1:
        _close(conn, item.function, "batch", plan.key)
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


def _close(conn: Connection, function: str, kind: str, key: str) -> None:
    conn.execute(
        "DELETE FROM flow_keys WHERE function = :function AND kind = :kind AND key = :key",
        {"function": function, "kind": kind, "key": key},
    )


def stopped_among(conn: Connection, *, inv_ids: Sequence[str]) -> list[str]:
    names = {f"i{n}": inv_id for n, inv_id in enumerate(inv_ids)}
    listed = ", ".join(f":{name}" for name in names)
    rows = conn.execute(
        f"SELECT id FROM invocations WHERE id IN ({listed}) AND status = 'stopped'", names
    ).fetchall()
    return [str(row[0]) for row in rows]


def narrow(conn: Connection, *, inv_id: str, event: bytes) -> bool:
    """A running batch's event cut down to the events its attempt reported failed."""
    cur = conn.execute(
        "UPDATE invocations SET event = :event WHERE id = :id AND status = 'running'",
        {"event": event, "id": inv_id},
    )
    return bool(cur.rowcount)


def _singleton(
    conn: Connection, item: NewInvocation, plan: SingletonPlan, outcome: FlowOutcome, now: float
) -> str | None:
    """Take the key for `item`; returns the active holder `item` must yield to (skip mode)."""
    held = _take(conn, item, "singleton", plan.key, now)
    if held is None:
        return None
    holder, since = held
    status = _status(conn, holder)
    free = status is None and since < now - UNSEEN_GRACE
    if status is not None and status not in _ACTIVE:
        free = True
    if not free and not plan.cancel:
        return holder
    if not free and status is not None:
        detail = f"singleton: replaced by {item.id}"
        if _stop(conn, holder, status, Condition.CANCELLED, detail, now):
            outcome.stopped.append(Stopped(holder, status, Condition.CANCELLED, detail))
    _hand_over(conn, item, "singleton", plan.key, now)
    return None


def _take(
    conn: Connection, item: NewInvocation, kind: str, key: str, now: float
) -> tuple[str, float] | None:
    """None if `item` now holds the key; else the (locked) holder and since when."""
    where = {"function": item.function, "kind": kind, "key": key}
    cur = conn.execute(
        "INSERT INTO flow_keys (function, kind, key, invocation_id, since, expires_at) "
        "VALUES (:function, :kind, :key, :id, :now, :expires_at) ON CONFLICT DO NOTHING",
        {**where, "id": item.id, "now": now, "expires_at": item.deadline + LONGEST_ATTEMPT},
    )
    if cur.rowcount:
        return None
    match = "WHERE function = :function AND kind = :kind AND key = :key"
    conn.execute(f"UPDATE flow_keys SET since = since {match}", where)
    row = conn.execute(f"SELECT invocation_id, since FROM flow_keys {match}", where).fetchone()
    return str(row[0]), float(row[1])


def _hand_over(conn: Connection, item: NewInvocation, kind: str, key: str, now: float) -> None:
    conn.execute(
        "UPDATE flow_keys SET invocation_id = :id, since = :now, expires_at = :expires_at "
        "WHERE function = :function AND kind = :kind AND key = :key",
        {
            "function": item.function,
            "kind": kind,
            "key": key,
            "id": item.id,
            "now": now,
            "expires_at": item.deadline + LONGEST_ATTEMPT,
        },
    )


def _status(conn: Connection, inv_id: str) -> str | None:
    row = conn.execute("SELECT status FROM invocations WHERE id = :id", {"id": inv_id}).fetchone()
    return None if row is None else str(row[0])


def _cancel(conn: Connection, cancel: Cancel, now: float) -> list[Stopped]:
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
        if _stop(conn, str(inv_id), str(status), Condition.CANCELLED, detail, now)
    ]
    conn.execute(
        "DELETE FROM flow_marks WHERE function = :function AND mark = :mark",
        {"function": cancel.function, "mark": cancel.mark},
    )
    return stopped


def _stop(
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


def _sweep(conn: Connection, now: float) -> None:
    """Keys and marks whose invocation can no longer be active."""
    conn.execute("DELETE FROM flow_keys WHERE expires_at < :now", {"now": now})
    conn.execute("DELETE FROM flow_marks WHERE expires_at < :now", {"now": now})
