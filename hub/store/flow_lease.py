"""Leasing under flow control: priority with aging, concurrency per key served round-robin,
and rate limits (GCRA) whose state is in the store.

Only invocations submitted with flow-control settings have `priority` set (hub/flow/columns.py);
while none of them is due the lease is the plain one (invocations.lease), which skips them.
When some are due, the lease plans in one transaction, reading only the heads of queues, never
a whole backlog:

- lanes: an invocation with a concurrency key (else a rate-limit key) queues in the lane of
  that key. Table `flow_lanes` lists the lanes least recently served first; the lease visits
  the first few and moves them to the back of the line: round-robin, so a key with a huge
  backlog does not starve one with a few. From each lane it reads the oldest and the
  highest-priority due invocations, which go by effective priority, then due time (FIFO).
  A lane with nothing left is deleted; a submit into it (or a redrive) makes it again;
- invocations with a priority but no lane, read per priority, oldest first, and plain due
  invocations (priority 0), join them;
- the order among them: each one's turn in its lane (every lane's 1st, then every lane's 2nd,
  ...), then effective priority (the priority plus one level per `AGING` seconds waited since
  it became due, at most 9, so low priorities are never starved for good), then due time;
- the checks: a key's leased or running invocations (counted from the rows, so a dead daemon's
  expired lease frees its slot) plus those taken now stay within its limit; a rate bucket
  admits a start only when it conforms, and its new state is written in the same transaction.

A submit puts invocations in their lanes (flow_lanes.py); the buckets are flow_rates.py.

With several daemons on PostgreSQL the planning is serialized by a transaction-level advisory
lock, taken without waiting: a daemon that finds it held looks again shortly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.config.flow_lease import PRIORITY_MAX
from hub.invocation import Invocation
from hub.store.connection import Connection
from hub.store.flow_lanes import IDLE
from hub.store.flow_rates import Bucket, load_bucket, next_open, save_buckets
from hub.store.rows import COLUMNS, to_invocation

AGING = 10.0
"""Seconds of waiting after being due that raise an invocation's priority by one level."""
FLOW_LOCK = 0x666C_6F77
RETRY_LOCKED = 0.05
"""How soon a daemon that found the planning lock held looks again."""
LANES_PER_LEASE = 64
"""Lanes visited beyond the lease's limit: the ones that have nothing to start are skipped."""
_ANY_DUE = "SELECT 1 FROM invocations WHERE priority IS NOT NULL AND run_at <= :now LIMIT 1"
_HEAD = (
    "(c.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM invocations AS o "
    "WHERE o.function = c.function AND o.ordering_key = c.ordering_key "
    "AND o.run_at IS NOT NULL AND o.id < c.id))"
)
_FIELDS = (
    "c.id, c.function, c.priority, c.flow_key, c.flow_limit, c.rate_key, c.rate_interval, "
    "c.rate_burst, c.run_at"
)
_LANES = (
    f"SELECT function, key, version, width FROM flow_lanes WHERE served_at < {IDLE} "
    "ORDER BY served_at LIMIT :lanes"
)
# A lane's heads: its oldest due invocations (the most aged) and its highest priorities.
_LANE_HEADS = " UNION ".join(
    f"SELECT * FROM (SELECT {_FIELDS} FROM invocations AS c WHERE c.function = :function "
    f"AND c.lane = :lane AND c.run_at <= :now AND {_HEAD} ORDER BY {order} LIMIT :heads) AS {name}"
    for name, order in (("oldest", "c.run_at"), ("highest", "c.priority DESC, c.run_at"))
)
_LANE_ACTIVE = (
    "SELECT 1 FROM invocations WHERE function = :function AND lane = :lane "
    "AND run_at IS NOT NULL LIMIT 1"
)
_SERVED = "UPDATE flow_lanes SET served_at = :now WHERE function = :function AND key = :lane"
# Unless a submit joined it since it was read (its version moved on). Deleted rather than kept
# idle: keys come and go (a user, an order), and the table keeps only the lanes with work.
_DROP_EMPTY = (
    "DELETE FROM flow_lanes WHERE function = :function AND key = :lane AND version = :version"
)
_RANKED = " UNION ALL ".join(
    f"SELECT * FROM (SELECT {_FIELDS} FROM invocations AS c WHERE c.priority = {p} "
    f"AND c.lane IS NULL AND c.run_at <= :now AND {_HEAD} ORDER BY c.run_at LIMIT :limit) AS r{p}"
    for p in range(PRIORITY_MAX + 1)
)
_PLAIN = (
    "SELECT id, run_at, function FROM invocations AS c WHERE run_at <= :now AND priority IS NULL "
    f"AND {_HEAD} ORDER BY run_at LIMIT :limit"
)
_LEASED_PER_KEY = (
    "SELECT function, flow_key, COUNT(*) FROM invocations WHERE flow_key IS NOT NULL "
    "AND lease_owner IS NOT NULL AND run_at > :now GROUP BY function, flow_key"
)


def plain_only(lock: str) -> str:
    """What keeps the plain lease off flow-controlled invocations. Alone on its store (SQLite),
    the probe `any_due` just found none due in the same transaction; with other daemons
    (PostgreSQL) one may have been submitted since, so each row is checked."""
    return "AND c.priority IS NULL " if lock else ""


def any_due(conn: Connection, *, now: float) -> bool:
    return conn.execute(_ANY_DUE, {"now": now}).fetchone() is not None


@dataclass(slots=True)
class _Candidate:
    id: str
    function: str
    priority: int
    flow_key: str | None
    flow_limit: int | None
    rate_key: str | None
    rate_interval: float | None
    rate_burst: int | None
    run_at: float
    turn: int = 1
    effective: int = 0


def lease(
    conn: Connection,
    *,
    owner: str,
    now: float,
    limit: int,
    lease_until: float,
    shared: bool,
    next_due: float | None,
    paused: set[str] | None = None,
) -> tuple[list[Invocation], float | None]:
    """`shared`: other daemons lease from this store too (PostgreSQL); `paused`: functions
    whose invocations are kept but not started."""
    if (
        shared
        and not conn.execute(
            "SELECT pg_try_advisory_xact_lock(:lock)", {"lock": FLOW_LOCK}
        ).fetchone()[0]
    ):
        return [], now + RETRY_LOCKED
    params: dict[str, Any] = {"now": now, "limit": limit}
    candidates, more = _lane_heads(conn, now=now, limit=limit, shared=shared)
    candidates += [_Candidate(*row) for row in conn.execute(_RANKED, params).fetchall()]
    plain_sql = _PLAIN + (" FOR UPDATE SKIP LOCKED" if shared else "")
    candidates += [
        _Candidate(row[0], row[2], 0, None, None, None, None, None, float(row[1]))
        for row in conn.execute(plain_sql, params).fetchall()
    ]
    if paused:
        candidates = [c for c in candidates if c.function not in paused]
    for cand in candidates:
        cand.effective = _effective(cand, now)
    leased_per_key: dict[tuple[str, str], int] = {
        (row[0], row[1]): int(row[2]) for row in conn.execute(_LEASED_PER_KEY, params).fetchall()
    }
    buckets: dict[tuple[str, str], Bucket] = {}
    chosen: list[str] = []
    throttled: set[str] = set()
    for cand in sorted(candidates, key=lambda c: (c.turn, -c.effective, c.run_at, c.id)):
        if len(chosen) >= limit:
            more = True
            break
        slot = None if cand.flow_key is None else (cand.function, cand.flow_key)
        if (
            slot is not None
            and cand.flow_limit is not None
            and leased_per_key.get(slot, 0) >= cand.flow_limit
        ):
            continue
        if cand.rate_key is not None and cand.rate_interval is not None:
            bucket = load_bucket(conn, buckets, cand.function, cand.rate_key)
            if not bucket.take(now, cand.rate_interval, cand.rate_burst or 1):
                continue
            if bucket.opened_at > cand.run_at:
                throttled.add(cand.id)  # it was due before its bucket let it start
        if slot is not None:
            leased_per_key[slot] = leased_per_key.get(slot, 0) + 1
        chosen.append(cand.id)
    save_buckets(conn, buckets)
    leased = _take(conn, chosen, owner=owner, now=now, lease_until=lease_until)
    for inv in leased:
        inv.throttled = inv.id in throttled
    wake = _earliest(next_due, next_open(conn, now=now))
    # Look again at once only after progress: lanes that are full, deferred or throttled wake
    # the dispatcher when a run ends, their work is due or their bucket opens, not by spinning.
    return leased, _earliest(wake, now) if more and leased else wake


def _lane_heads(
    conn: Connection, *, now: float, limit: int, shared: bool
) -> tuple[list[_Candidate], bool]:
    """The oldest due invocations of the lanes whose turn it is, and whether a lane may have
    more due than was read (so the dispatcher looks again at once).

    On PostgreSQL the lanes are locked and those a submit holds are skipped: the lease then
    waits on no one (so it cannot deadlock with a submit), and a submit into a lane the lease
    deletes waits for that and makes the lane again."""
    sql = _LANES + (" FOR UPDATE SKIP LOCKED" if shared else "")
    lanes = conn.execute(sql, {"lanes": limit + LANES_PER_LEASE}).fetchall()
    out: list[_Candidate] = []
    more = len(lanes) == limit + LANES_PER_LEASE
    for function, lane, version, width in lanes:
        at = {"function": function, "lane": lane}
        # A keyed lane can start at most its limit at once; a rate lane as many as conform.
        heads = min(limit, width or limit)
        rows = conn.execute(_LANE_HEADS, {**at, "now": now, "heads": heads}).fetchall()
        if rows:
            conn.execute(_SERVED, {**at, "now": now})
            more = more or len(rows) >= heads
            lane_heads = [_Candidate(*row) for row in rows]
            for cand in lane_heads:
                cand.effective = _effective(cand, now)
            lane_heads.sort(key=lambda c: (-c.effective, c.run_at, c.id))
            for turn, cand in enumerate(lane_heads[:heads], 1):
                cand.turn = turn
                out.append(cand)
        elif conn.execute(_LANE_ACTIVE, at).fetchone() is None:
            conn.execute(_DROP_EMPTY, {**at, "version": version})
        else:
            conn.execute(_SERVED, {**at, "now": now})  # all leased, or due later
    return out, more


def _effective(cand: _Candidate, now: float) -> int:
    aged = int((now - cand.run_at) // AGING) if now > cand.run_at else 0
    return min(PRIORITY_MAX, cand.priority + aged)


def _take(
    conn: Connection, ids: list[str], *, owner: str, now: float, lease_until: float
) -> list[Invocation]:
    if not ids:
        return []
    names = {f"i{n}": inv_id for n, inv_id in enumerate(ids)}
    order = {inv_id: n for n, inv_id in enumerate(ids)}
    rows = conn.execute(
        "UPDATE invocations SET run_at = :lease_until, lease_owner = :owner "
        f"WHERE id IN ({', '.join(':' + name for name in names)}) AND run_at <= :now "
        f"RETURNING {COLUMNS}",
        {"lease_until": lease_until, "owner": owner, "now": now, **names},
    ).fetchall()
    return sorted((to_invocation(r) for r in rows), key=lambda inv: order[inv.id])


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
