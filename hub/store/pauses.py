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
PARKED = 1e10
"""Seconds added to the `run_at` of a paused function's due invocations (park_passed); a
`run_at` at or past it (the year 2286) is parked."""
PARK_AT_ONCE = 5000


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
    """True if it was paused. A function's parked invocations are due again as they were."""
    cur = conn.execute(
        "DELETE FROM pauses WHERE kind = :kind AND name = :name", {"kind": kind, "name": name}
    )
    if kind == "function":
        # After the delete: on PostgreSQL it waited for any lease still parking rows of this
        # function (they hold the pause row FOR SHARE), so this statement sees those rows too.
        conn.execute(
            "UPDATE invocations SET run_at = run_at - :parked "
            "WHERE function = :name AND run_at >= :parked",
            {"parked": PARKED, "name": name},
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


def park_passed(conn: Connection, paused: dict[str, Any], *, upto: float, shared: bool) -> None:
    """Park the due invocations of paused functions a lease has just read past (`run_at` up
    to `upto`): moved PARKED seconds on, out of the range every lease scans, their order kept,
    so a paused function's backlog costs each lease nothing instead of a scan past all of it.
    `paused` is lease_filter's; each row is parked only if its pause still stands as this
    statement runs, holding the pause row (`shared`, PostgreSQL) so a resume cannot commit
    between this and the commit of the lease."""
    if not paused:
        return
    names = ", ".join(f":{k}" for k in paused)
    share = "FOR SHARE" if shared else ""
    # `function || ''`: by the due index (rows up to `upto`), not by function, whose index
    # holds the function's whole history. At most PARK_AT_ONCE per lease: a backlog of
    # millions is parked over several leases, none of them holding the writer for long.
    # `run_at <= :upto` on the updated row too: a row another daemon's lease parked while
    # this one waited for it is checked again as it is now (PostgreSQL), not parked twice.
    conn.execute(
        "UPDATE invocations SET run_at = run_at + :parked WHERE run_at <= :upto AND id IN ("
        "SELECT id FROM invocations AS c WHERE run_at <= :upto "
        f"AND function || '' IN ({names}) ORDER BY run_at LIMIT :at_once) "
        "AND EXISTS (SELECT 1 FROM pauses AS p WHERE p.kind = 'function' "
        f"AND p.name = invocations.function {share})",
        {"parked": PARKED, "upto": upto, "at_once": PARK_AT_ONCE, **paused},
    )


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
