"""Stopping and redriving many invocations chosen by a filter, a bounded batch at a time.

Each batch is read (by id: ids sort by creation; a stop newest first, a redrive oldest
first) and then changed in one durable commit through the same operations that stop or
redrive one invocation (hub/store/control.py), so a bulk action means exactly what the
single one does; an invocation that changed between the read and the write is skipped, as
the single action would refuse it. A batch holds the writer only for its own rows, so
submits and leases go on between batches, however many rows match."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from hub.errors import InvalidStateError, NotFoundError
from hub.invocation import Invocation
from hub.status import ACTIVE, CONDITIONS_OF, FINAL, Status
from hub.store import control
from hub.store.base import Routing
from hub.store.connection import Connection
from hub.store.rows import COLUMNS, to_invocation
from hub.store.sqlbase import SqlBase

BATCH = 500
_SOURCE_KEY = b'"source":'
# The conditions each final status has: naming them lets the planner use the
# invocations_unsuccessful index, as the list does.
_CONDITIONS = CONDITIONS_OF


@dataclass(slots=True, frozen=True)
class Selection:
    """Which invocations a bulk action is for; every given field must match."""

    statuses: frozenset[Status]
    function: str | None = None
    created_after: float | None = None
    created_before: float | None = None
    source: str | None = None
    """The event's CloudEvents `source` attribute, as its trigger wrote it."""
    ids: tuple[str, ...] | None = None


def _where(selection: Selection, source_expr: str) -> tuple[str, dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    statuses = sorted(selection.statuses)
    params |= {f"s{n}": str(s) for n, s in enumerate(statuses)}
    where.append(f"status IN ({', '.join(f':s{n}' for n in range(len(statuses)))})")
    if selection.statuses <= ACTIVE:
        where.append("run_at IS NOT NULL")  # the due index holds every active invocation
    elif selection.statuses <= FINAL - {Status.SUCCEEDED}:
        conditions = [str(c) for s in statuses for c in _CONDITIONS[s]]
        params |= {f"c{n}": c for n, c in enumerate(conditions)}
        where.append(f"condition IN ({', '.join(f':c{n}' for n in range(len(conditions)))})")
    for clause, name, value in (
        ("function = :function", "function", selection.function),
        ("created_at >= :after", "after", selection.created_after),
        ("created_at < :before", "before", selection.created_before),
    ):
        if value is not None:
            where.append(clause)
            params[name] = value
    if selection.source is not None:
        # The hub writes every event with orjson, `source` third after specversion and id, so
        # the first `"source":` in its bytes is that attribute's key (inside a JSON string a
        # quote is always escaped): it must be where the whole attribute, value included, is.
        # A byte search, where parsing each event's JSON would cost far more (and PostgreSQL's
        # JSON types refuse a NUL escaped in the data).
        found, key = (
            source_expr.format(bytes=":source_attr"),
            source_expr.format(bytes=":source_key"),
        )
        where.append(f"{found} > 0 AND {found} = {key}")
        params["source_attr"] = _SOURCE_KEY + orjson.dumps(selection.source)
        params["source_key"] = _SOURCE_KEY
    if selection.ids is not None:
        marks = {f"i{n}": inv_id for n, inv_id in enumerate(selection.ids)}
        params |= marks
        where.append(f"id IN ({', '.join(f':{m}' for m in marks)})" if marks else "1 = 0")
    return " AND ".join(where), params


def match(
    conn: Connection,
    *,
    selection: Selection,
    cursor: str | None,
    limit: int,
    source_expr: str,
    oldest_first: bool = False,
) -> list[Invocation]:
    """Up to `limit` matching invocations past `cursor`: older than it, newest first, or
    with `oldest_first` newer than it, oldest first."""
    where, params = _where(selection, source_expr)
    if cursor is not None:
        where += " AND id > :cursor" if oldest_first else " AND id < :cursor"
        params["cursor"] = cursor
    order = "ASC" if oldest_first else "DESC"
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM invocations WHERE {where} ORDER BY id {order} LIMIT :limit",
        {**params, "limit": limit},
    ).fetchall()
    return [to_invocation(r) for r in rows]


def count(conn: Connection, *, selection: Selection, source_expr: str) -> int:
    where, params = _where(selection, source_expr)
    row = conn.execute(f"SELECT COUNT(*) FROM invocations WHERE {where}", params).fetchone()
    return int(row[0])


def stop_each(
    conn: Connection,
    *,
    items: Sequence[tuple[str, Routing]],
    now: float,
    dedup_window: float,
) -> list[Status | None]:
    """Each invocation's status before it was stopped, None for one that no longer could be."""
    out: list[Status | None] = []
    for inv_id, routing in items:
        try:
            out.append(
                control.stop(
                    conn, inv_id=inv_id, now=now, routing=routing, dedup_window=dedup_window
                )
            )
        except (InvalidStateError, NotFoundError):
            out.append(None)
    return out


def redrive_each(conn: Connection, *, items: Sequence[tuple[str, float]], now: float) -> list[bool]:
    """For each (id, deadline): whether it was queued again."""
    out: list[bool] = []
    for inv_id, deadline in items:
        try:
            control.redrive(conn, inv_id=inv_id, now=now, deadline=deadline)
        except (InvalidStateError, NotFoundError):
            out.append(False)
        else:
            out.append(True)
    return out


class SqlBulk(SqlBase):
    """The Bulk protocol (hub/store/operator.py) over the functions above."""

    # Where `{bytes}` first occurs in the stored event, from 1, or 0 (PostgreSQL overrides it).
    source_expr = "instr(event, {bytes})"

    async def match(
        self,
        selection: Selection,
        cursor: str | None,
        limit: int = BATCH,
        *,
        oldest_first: bool = False,
    ) -> list[Invocation]:
        return await self._read(
            partial(
                match,
                selection=selection,
                cursor=cursor,
                limit=limit,
                source_expr=self.source_expr,
                oldest_first=oldest_first,
            )
        )

    async def count_matching(self, selection: Selection) -> int:
        return await self._read(partial(count, selection=selection, source_expr=self.source_expr))

    async def stop_each(
        self, items: Sequence[tuple[str, Routing]], now: float
    ) -> list[Status | None]:
        before = await self._commit(
            partial(stop_each, items=items, now=now, dedup_window=self.dedup_window)
        )
        if any(b is not None for b in before):
            # They may have held back others of their ordering key, or routed follow-ups.
            self._due(now)
            if any(routing.deliveries for _, routing in items):
                self._outbox_due(now)
        return before

    async def redrive_each(self, items: Sequence[tuple[str, float]], now: float) -> list[bool]:
        done = await self._commit(partial(redrive_each, items=items, now=now))
        if any(done):
            self._due(now)
        return done
