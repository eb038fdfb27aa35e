"""Leasing under flow control: priority with aging, concurrency per key with round-robin
across keys, and rate limits (GCRA) whose state is in the store.

Only invocations submitted with flow-control settings have `priority` set (hub/flow/columns.py);
while none of them is due the lease is the plain one (invocations.lease), which skips them.
When some are due, the lease plans in one transaction:

- the candidates: each key's oldest due invocations, at most its limit of them, leaving out
  rate buckets that are closed now; plain due invocations join them as priority 0, each its
  own key;
- the order: the invocation's turn within its key first (every key's 1st, then every key's
  2nd, ...: round-robin, so a key with a huge backlog does not starve one with a few), then
  effective priority (the priority plus one level per `AGING` seconds waited since it became
  due, at most 9, so low priorities are never starved for good), then due time. Within a key
  the turns go by effective priority, then due time (FIFO);
- the checks: a key's leased or running invocations (counted from the rows, so a dead daemon's
  expired lease frees its slot) plus those taken now stay within its limit; a rate bucket
  admits a start only when it conforms, and its new state is written in the same transaction.

With several daemons on PostgreSQL the planning is serialized by a transaction-level advisory
lock, taken without waiting: a daemon that finds it held leases plain work only and looks
again shortly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.config.flow_lease import PRIORITY_MAX
from hub.invocation import Invocation, NewInvocation
from hub.store.connection import Connection
from hub.store.rows import COLUMNS, to_invocation

AGING = 10.0
"""Seconds of waiting after being due that raise an invocation's priority by one level."""
FLOW_LOCK = 0x666C_6F77
RETRY_LOCKED = 0.05
"""How soon a daemon that found the planning lock held looks again."""

_MARK = (
    "UPDATE invocations SET priority = :priority, flow_key = :flow_key, "
    "flow_limit = :flow_limit, rate_key = :rate_key, rate_interval = :rate_interval, "
    "rate_burst = :rate_burst WHERE id = :id"
)
_ANY_DUE = "SELECT 1 FROM invocations WHERE priority IS NOT NULL AND run_at <= :now LIMIT 1"
_HEAD = (
    "(c.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM invocations AS o "
    "WHERE o.function = c.function AND o.ordering_key = c.ordering_key "
    "AND o.run_at IS NOT NULL AND o.id < c.id))"
)
# Levels gained by waiting: floor((now - run_at) / AGING), capped, in SQL both backends
# compute alike (a CAST rounds on one and truncates on the other).
_AGED = (
    "CASE "
    + " ".join(f"WHEN c.run_at <= :aged{n} THEN {n}" for n in range(PRIORITY_MAX, 0, -1))
    + " ELSE 0 END"
)
_FLOW_CANDIDATES = (
    "SELECT id, function, flow_key, flow_limit, rate_key, rate_interval, rate_burst, run_at, "
    "turn, effective FROM ("
    "SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.function, "
    "COALESCE(e.flow_key, e.rate_key, e.id) ORDER BY e.effective DESC, e.run_at, e.id) AS turn "
    "FROM (SELECT c.id, c.function, c.flow_key, c.flow_limit, c.rate_key, c.rate_interval, "
    f"c.rate_burst, c.run_at, CASE WHEN c.priority + {_AGED} > {PRIORITY_MAX} "
    f"THEN {PRIORITY_MAX} ELSE c.priority + {_AGED} END AS effective "
    "FROM invocations AS c WHERE c.priority IS NOT NULL AND c.run_at <= :now "
    f"AND {_HEAD} AND NOT EXISTS (SELECT 1 FROM flow_rates AS r WHERE r.function = c.function "
    "AND r.key = c.rate_key AND r.open_at > :now)) AS e"
    ") AS t WHERE turn <= COALESCE(flow_limit, :limit) "
    "ORDER BY turn, effective DESC, run_at, id LIMIT :scan"
)
_PLAIN_CANDIDATES = (
    "SELECT id, run_at FROM invocations AS c WHERE run_at <= :now AND priority IS NULL "
    f"AND {_HEAD} ORDER BY run_at LIMIT :limit"
)
_LEASED_PER_KEY = (
    "SELECT function, flow_key, COUNT(*) FROM invocations WHERE flow_key IS NOT NULL "
    "AND lease_owner IS NOT NULL AND run_at > :now GROUP BY function, flow_key"
)
_SAVE_RATE = (
    "INSERT INTO flow_rates (function, key, tat, open_at) VALUES (:function, :key, :tat, "
    ":open_at) ON CONFLICT (function, key) DO UPDATE SET tat = excluded.tat, "
    "open_at = excluded.open_at"
)


def mark(conn: Connection, items: Sequence[NewInvocation]) -> None:
    """Write the flow-control columns of the just inserted invocations that have them."""
    rows = [_flow_row(item) for item in items if item.flow is not None]
    if rows:
        conn.executemany(_MARK, rows)


def _flow_row(item: NewInvocation) -> dict[str, Any]:
    flow = item.flow
    assert flow is not None
    return {
        "id": item.id,
        "priority": flow.priority,
        "flow_key": flow.concurrency_key,
        "flow_limit": flow.concurrency_limit,
        "rate_key": flow.rate_key,
        "rate_interval": flow.rate_interval,
        "rate_burst": flow.rate_burst,
    }


def any_due(conn: Connection, *, now: float) -> bool:
    return conn.execute(_ANY_DUE, {"now": now}).fetchone() is not None


@dataclass(slots=True)
class _Candidate:
    id: str
    function: str
    flow_key: str | None
    flow_limit: int | None
    rate_key: str | None
    rate_interval: float | None
    rate_burst: int | None
    run_at: float
    turn: int
    effective: int


@dataclass(slots=True)
class Bucket:
    """GCRA: a start conforms at `now` when `now >= tat - (burst - 1) * interval`; each start
    moves `tat` on by one interval from max(tat, now)."""

    tat: float
    opened_at: float
    """When it last opened, as the store had it: work due before that waited for it."""
    changed: bool = False
    tolerance: float = 0.0

    def open_at(self, interval: float, burst: int) -> float:
        return self.tat - (burst - 1) * interval

    def take(self, now: float, interval: float, burst: int) -> bool:
        if now < self.open_at(interval, burst):
            return False
        self.tat = max(self.tat, now) + interval
        self.tolerance = (burst - 1) * interval
        self.changed = True
        return True


def lease(
    conn: Connection,
    *,
    owner: str,
    now: float,
    limit: int,
    lease_until: float,
    shared: bool,
    next_due: float | None,
) -> tuple[list[Invocation], float | None]:
    """`shared`: other daemons lease from this store too (PostgreSQL)."""
    if (
        shared
        and not conn.execute(
            "SELECT pg_try_advisory_xact_lock(:lock)", {"lock": FLOW_LOCK}
        ).fetchone()[0]
    ):
        return [], now + RETRY_LOCKED
    params: dict[str, Any] = {"now": now, "limit": limit, "scan": 2 * limit + 64}
    params.update({f"aged{n}": now - n * AGING for n in range(1, PRIORITY_MAX + 1)})
    flow = [_Candidate(*row) for row in conn.execute(_FLOW_CANDIDATES, params).fetchall()]
    plain = [
        _Candidate(row[0], "", None, None, None, None, None, float(row[1]), 1, 0)
        for row in conn.execute(
            _PLAIN_CANDIDATES + (" FOR UPDATE SKIP LOCKED" if shared else ""), params
        ).fetchall()
    ]
    for cand in plain:
        cand.effective = min(PRIORITY_MAX, int((now - cand.run_at) // AGING))
    leased_per_key: dict[tuple[str, str], int] = {
        (row[0], row[1]): int(row[2]) for row in conn.execute(_LEASED_PER_KEY, params).fetchall()
    }
    buckets: dict[tuple[str, str], Bucket] = {}
    chosen: list[str] = []
    throttled: set[str] = set()
    for cand in sorted(flow + plain, key=lambda c: (c.turn, -c.effective, c.run_at, c.id)):
        if len(chosen) >= limit:
            break
        if cand.flow_key is not None and cand.flow_limit is not None:
            slot = (cand.function, cand.flow_key)
            if leased_per_key.get(slot, 0) >= cand.flow_limit:
                continue
        if cand.rate_key is not None and cand.rate_interval is not None:
            bucket = _bucket(conn, buckets, cand.function, cand.rate_key)
            if not bucket.take(now, cand.rate_interval, cand.rate_burst or 1):
                continue
            if bucket.opened_at > cand.run_at:
                throttled.add(cand.id)  # it was due before its bucket let it start
        if cand.flow_key is not None:
            slot = (cand.function, cand.flow_key)
            leased_per_key[slot] = leased_per_key.get(slot, 0) + 1
        chosen.append(cand.id)
    for (function, key), bucket in buckets.items():
        if bucket.changed:
            conn.execute(
                _SAVE_RATE,
                {
                    "function": function,
                    "key": key,
                    "tat": bucket.tat,
                    "open_at": bucket.tat - bucket.tolerance,
                },
            )
    leased = _take(conn, chosen, owner=owner, now=now, lease_until=lease_until)
    for inv in leased:
        inv.throttled = inv.id in throttled
    return leased, _earliest(next_due, _next_open(conn, now=now))


def _bucket(
    conn: Connection, buckets: dict[tuple[str, str], Bucket], function: str, key: str
) -> Bucket:
    found = buckets.get((function, key))
    if found is None:
        row = conn.execute(
            "SELECT tat, open_at FROM flow_rates WHERE function = :function AND key = :key",
            {"function": function, "key": key},
        ).fetchone()
        found = Bucket(-math.inf, -math.inf) if row is None else Bucket(row[0], row[1])
        buckets[(function, key)] = found
    return found


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


def _next_open(conn: Connection, *, now: float) -> float | None:
    """When a closed rate bucket opens: the due work it holds back may start then."""
    row = conn.execute(
        "SELECT MIN(open_at) FROM flow_rates WHERE open_at > :now", {"now": now}
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
