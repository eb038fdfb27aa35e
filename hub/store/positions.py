"""Where sources are: checkpoints (a source position committed in the same transaction as the
invocations read before it) and leases on single-reader sources, so one daemon of several
reads each."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from hub.store.base import Checkpoint
from hub.store.connection import Connection
from hub.store.sqlbase import SqlBase


def get_checkpoint(conn: Connection, name: str) -> str | None:
    row = conn.execute(
        "SELECT value FROM checkpoints WHERE name = :name", {"name": name}
    ).fetchone()
    return None if row is None else str(row[0])


_SET = (
    "INSERT INTO checkpoints (name, value, updated_at) VALUES (:name, :value, :now) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)


def set_checkpoint(conn: Connection, *, checkpoint: Checkpoint, now: float) -> None:
    conn.execute(_SET, {"name": checkpoint.name, "value": checkpoint.value, "now": now})


def set_checkpoints(conn: Connection, *, checkpoints: Sequence[Checkpoint], now: float) -> None:
    conn.executemany(_SET, [{"name": c.name, "value": c.value, "now": now} for c in checkpoints])


def claim_source(conn: Connection, *, name: str, owner: str, now: float, until: float) -> str:
    """Take or renew the lease on a single-reader source; returns who holds it now. One
    statement, so two daemons racing for a free or expired lease cannot both win."""
    conn.execute(
        "INSERT INTO source_leases (name, owner, expires_at) VALUES (:name, :owner, :until) "
        "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
        "WHERE source_leases.owner = excluded.owner OR source_leases.expires_at < :now",
        {"name": name, "owner": owner, "until": until, "now": now},
    )
    row = conn.execute(
        "SELECT owner FROM source_leases WHERE name = :name", {"name": name}
    ).fetchone()
    return str(row[0])


def release_source(conn: Connection, *, name: str, owner: str) -> None:
    conn.execute(
        "DELETE FROM source_leases WHERE name = :name AND owner = :owner",
        {"name": name, "owner": owner},
    )


class SqlPositions(SqlBase):
    """The Positions protocol (hub/store/base.py) over the functions above."""

    async def get_checkpoint(self, name: str) -> str | None:
        return await self._read(partial(get_checkpoint, name=name))

    async def set_checkpoint(self, checkpoint: Checkpoint) -> None:
        now = self.now()
        await self._commit(partial(set_checkpoint, checkpoint=checkpoint, now=now))

    async def claim_source(self, name: str, owner: str, now: float, until: float) -> str:
        return await self._commit_fast(
            partial(claim_source, name=name, owner=owner, now=now, until=until)
        )

    async def release_source(self, name: str, owner: str) -> None:
        await self._commit_fast(partial(release_source, name=name, owner=owner))
