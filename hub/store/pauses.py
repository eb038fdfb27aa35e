"""What an operator paused: triggers (they stop reading, keeping their position) and functions
(their queue is kept and not leased). One row per paused thing, in the store, so the state
survives a restart and a reload and every daemon on a shared store sees the same."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from hub.invocation import Invocation
from hub.store.connection import Connection
from hub.store.sqlbase import SqlBase

PauseKind = Literal["function", "trigger"]


def statements(real: str) -> list[str]:
    """The table, created idempotently beside the others (hub/store/schema.py)."""
    return [
        f"""CREATE TABLE IF NOT EXISTS pauses (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            paused_at {real} NOT NULL,
            PRIMARY KEY (kind, name)
        )"""
    ]


@dataclass(slots=True, frozen=True)
class Paused:
    kind: PauseKind
    name: str
    at: float


def pause(conn: Connection, *, kind: PauseKind, name: str, now: float) -> float:
    """Pause `name` (a second pause keeps the first time); returns when it was paused."""
    conn.execute(
        "INSERT INTO pauses (kind, name, paused_at) VALUES (:kind, :name, :now) "
        "ON CONFLICT (kind, name) DO NOTHING",
        {"kind": kind, "name": name, "now": now},
    )
    row = conn.execute(
        "SELECT paused_at FROM pauses WHERE kind = :kind AND name = :name",
        {"kind": kind, "name": name},
    ).fetchone()
    return float(row[0])


def resume(conn: Connection, *, kind: PauseKind, name: str) -> bool:
    """True if it was paused."""
    cur = conn.execute(
        "DELETE FROM pauses WHERE kind = :kind AND name = :name", {"kind": kind, "name": name}
    )
    return bool(cur.rowcount)


def all_paused(conn: Connection) -> list[Paused]:
    rows = conn.execute("SELECT kind, name, paused_at FROM pauses ORDER BY kind, name").fetchall()
    return [Paused(kind=r[0], name=r[1], at=float(r[2])) for r in rows]


def lease_filter(conn: Connection) -> tuple[str, dict[str, Any]]:
    """The clause that keeps a lease (alias `c`) off paused functions' invocations, read in
    the lease's own transaction so a pause holds on every daemon from its commit on. Empty
    (one lookup in an empty table) when nothing is paused: the common case costs nothing more."""
    rows = conn.execute("SELECT name FROM pauses WHERE kind = 'function'").fetchall()
    if not rows:
        return "", {}
    names = {f"paused{n}": r[0] for n, r in enumerate(rows)}
    return f"AND c.function NOT IN ({', '.join(f':{k}' for k in names)}) ", names


def hand_back(conn: Connection, *, inv_id: str, owner: str) -> bool:
    """Give a leased, not yet started invocation back to the queue as it was (no attempt is
    counted): its function was paused after the lease."""
    cur = conn.execute(
        "UPDATE invocations SET run_at = not_before, lease_owner = NULL "
        "WHERE id = :id AND lease_owner = :owner AND status IN ('queued', 'retrying')",
        {"id": inv_id, "owner": owner},
    )
    return bool(cur.rowcount)


class SqlPauses(SqlBase):
    """The Pauses protocol (hub/store/operator.py) over the functions above."""

    async def pause(self, kind: PauseKind, name: str) -> float:
        return await self._commit(partial(pause, kind=kind, name=name, now=self.now()))

    async def resume(self, kind: PauseKind, name: str) -> bool:
        resumed = await self._commit(partial(resume, kind=kind, name=name))
        if resumed and kind == "function":
            self._due(self.now())  # its queue may run now, on every daemon
        return resumed

    async def paused(self) -> list[Paused]:
        return await self._read(all_paused)

    async def hand_back(self, inv: Invocation, owner: str) -> None:
        await self._commit_fast(partial(hand_back, inv_id=inv.id, owner=owner))
