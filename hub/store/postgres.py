"""PostgreSQL: one database shared by several daemons.

The same operations as SQLite (hub/store/ops.py), run on a writer thread with group commit;
leases take rows with FOR UPDATE SKIP LOCKED so daemons never wait on each other, and every
commit that makes work due sends NOTIFY so the other daemons' dispatchers wake at once."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

from hub.errors import MissingExtraError, StoreError
from hub.store.schema import statements
from hub.store.sqlstore import SqlStore

log = structlog.get_logger("hub.store")
CHANNEL = "triggerhub_due"
# Held while creating tables, so daemons starting together do not race on DDL.
SCHEMA_LOCK = 0x7472_6967


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingExtraError("psycopg", "postgres") from None
    return psycopg


class PostgresStore(SqlStore):
    lock_clause = "FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, dedup_window: float = 86400.0) -> None:
        self.url = url
        self._listener: asyncio.Task[None] | None = None
        super().__init__(dedup_window=dedup_window)

    def _connect(self) -> Any:
        psycopg = _psycopg()
        try:
            conn = psycopg.connect(self.url)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for sql in statements(blob="BYTEA", real="DOUBLE PRECISION", json="TEXT"):
            conn.execute(sql)
        conn.commit()
        return _Connection(conn)

    def _begin(self, conn: Any) -> None:
        return None  # psycopg opens a transaction with the first statement

    async def open(self) -> None:
        await super().open()
        self._listener = asyncio.get_running_loop().create_task(self._listen(), name="pg-listen")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await super().close()

    def _due(self, run_at: float) -> None:
        super()._due(run_at)
        with contextlib.suppress(StoreError):  # closing: nobody else needs to hear it
            self._writer.call_nowait(
                lambda conn: conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, repr(run_at)))
            )

    async def _listen(self) -> None:
        psycopg = _psycopg()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as c:
                    await c.execute(f"LISTEN {CHANNEL}")
                    async for note in c.notifies():
                        super()._due(float(note.payload))
            except (psycopg.Error, OSError, ValueError) as exc:
                log.warning("LISTEN connection lost; reconnecting", error=str(exc))
                await asyncio.sleep(1.0)


class _Connection:
    """psycopg with the `?` placeholders and JSON append that hub/store/ops.py is written in."""

    append_history = (
        "(history::jsonb || jsonb_build_array(jsonb_build_array("
        "?::text, ?::double precision, ?::text)))::text"
    )

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @property
    def broken(self) -> bool:
        """The server side is gone: the store connects anew instead of failing forever."""
        return bool(self._conn.broken)

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Any) -> Any:
        cur = self._conn.cursor()
        cur.executemany(sql.replace("?", "%s"), rows)
        return cur

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()
