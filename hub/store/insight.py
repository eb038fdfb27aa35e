"""Reads the web console makes beside the listing (hub/store/reads.py, whose filters the
source window shares): each bounded by an index or a LIMIT, so a page costs the same with a
million invocations as with ten."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import orjson

from hub.invocation import Invocation
from hub.store.base import InvocationStore, ListQuery
from hub.store.bulk import _SOURCE_KEY as SOURCE_KEY
from hub.store.bulk import SqlBulk
from hub.store.connection import Connection, Op
from hub.store.reads import listing_conditions
from hub.store.rows import COLUMNS, to_invocation
from hub.store.sqlbase import SqlBase

T = TypeVar("T")
FUNCTIONS_PER_COUNT = 100  # columns per counting query


@dataclass(slots=True, frozen=True)
class PendingDelivery:
    invocation_id: str
    slot: str
    attempts: int
    last_error: str | None
    next_at: float


async def _read(store: InvocationStore, op: Op[T]) -> T:
    if not isinstance(store, SqlBase):
        raise TypeError(f"the console reads SQL stores only, not {type(store).__name__}")
    return await store._read(op)


async def active_by_function(
    store: InvocationStore, functions: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Queued, running and retrying invocations of each of these functions, counted from the
    invocations_active index alone."""
    out: dict[str, dict[str, int]] = {name: {} for name in functions}
    for first in range(0, len(functions), FUNCTIONS_PER_COUNT):
        chunk = functions[first : first + FUNCTIONS_PER_COUNT]
        for name, counts in (await _read(store, partial(_active_of, functions=chunk))).items():
            out[name] = counts
    return out


def _active_of(conn: Connection, *, functions: Sequence[str]) -> dict[str, dict[str, int]]:
    # One column per function, grouped by status alone: the index is read in its own order,
    # where grouping by (status, function) would sort every active row first.
    sums = ", ".join(
        f"SUM(CASE WHEN function = :f{n} THEN 1 ELSE 0 END)" for n in range(len(functions))
    )
    params = {f"f{n}": name for n, name in enumerate(functions)}
    rows = conn.execute(
        f"SELECT status, {sums} FROM invocations WHERE run_at IS NOT NULL GROUP BY status",
        params,
    ).fetchall()
    out: dict[str, dict[str, int]] = {name: {} for name in functions}
    for status, *counts in rows:
        for name, count in zip(functions, counts, strict=True):
            if count:
                out[name][str(status)] = int(count)
    return out


async def by_idempotency_key(
    store: InvocationStore, key: str, functions: Sequence[str]
) -> list[str]:
    """Invocation ids holding `key` (within the dedup window), by the idempotency table's
    primary key (function, key)."""
    if not functions:
        return []
    return await _read(store, partial(_by_key, key=key, functions=functions))


def _by_key(conn: Connection, *, key: str, functions: Sequence[str]) -> list[str]:
    params: dict[str, Any] = {f"f{n}": f for n, f in enumerate(functions)}
    params["key"] = key
    marks = ", ".join(f":f{n}" for n in range(len(functions)))
    rows = conn.execute(
        f"SELECT invocation_id FROM idempotency WHERE function IN ({marks}) AND key = :key",
        params,
    ).fetchall()
    return sorted((str(r[0]) for r in rows), reverse=True)


async def pending_deliveries(
    store: InvocationStore, invocation_id: str | None = None, limit: int = 10
) -> list[PendingDelivery]:
    """Destination records not delivered yet (the outbox holds only those): of one
    invocation, or the ones that failed at least once."""
    return await _read(
        store, partial(_pending_deliveries, invocation_id=invocation_id, limit=limit)
    )


def _pending_deliveries(
    conn: Connection, *, invocation_id: str | None, limit: int
) -> list[PendingDelivery]:
    params: dict[str, Any] = {"limit": limit}
    if invocation_id is None:
        where = "last_error IS NOT NULL"
    else:
        where, params["inv"] = "invocation_id = :inv", invocation_id
    rows = conn.execute(
        f"SELECT invocation_id, slot, attempts, last_error, run_at FROM outbox WHERE {where} "
        "ORDER BY run_at LIMIT :limit",
        params,
    ).fetchall()
    return [PendingDelivery(r[0], r[1], int(r[2]), r[3], float(r[4])) for r in rows]


@dataclass(slots=True, frozen=True)
class Window:
    items: list[Invocation]
    lowest: str | None  # the oldest id looked at, where a next look goes on
    exhausted: bool  # nothing older is left to look at


async def window_by_source(
    store: InvocationStore, query: ListQuery, source: str, window: int
) -> Window:
    """Up to `query.limit` invocations whose event has this CloudEvents `source`, among the
    `window` newest that match the rest of `query`: the source has no index, so a look is
    bounded and the caller goes on from `lowest`."""
    if not isinstance(store, SqlBulk):
        raise TypeError(f"the console reads SQL stores only, not {type(store).__name__}")
    op = partial(
        _window_by_source,
        query=query,
        source=source,
        window=window,
        source_expr=store.source_expr,
    )
    return await _read(store, op)


def _window_by_source(
    conn: Connection, *, query: ListQuery, source: str, window: int, source_expr: str
) -> Window:
    params: dict[str, Any] = {"window": window, "limit": query.limit}
    # The listing's own filters (hub/store/reads.py), over at most `window` rows.
    where = listing_conditions(query, params) or ["1 = 1"]
    looked = (
        f"SELECT id FROM invocations WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT :window"
    )
    # The same byte search as the bulk actions' `trigger` filter (hub/store/bulk.py).
    found, key = source_expr.format(bytes=":source_attr"), source_expr.format(bytes=":source_key")
    params |= {"source_attr": SOURCE_KEY + orjson.dumps(source), "source_key": SOURCE_KEY}
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM invocations WHERE id IN ({looked}) "
        f"AND {found} > 0 AND {found} = {key} ORDER BY id DESC LIMIT :limit",
        params,
    ).fetchall()
    lowest, count = conn.execute(
        f"SELECT MIN(id), COUNT(*) FROM ({looked}) AS looked", params
    ).fetchone()
    return Window([to_invocation(r) for r in rows], lowest, int(count) < window)
