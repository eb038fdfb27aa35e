"""PostgreSQL: one database shared by several daemons.

The same operations as SQLite (hub/store/invocations.py and its neighbours), run on a writer
thread with group commit; leases take rows with FOR UPDATE SKIP LOCKED so daemons never wait on
each other, and every commit that makes work due sends NOTIFY so the other daemons'
dispatchers wake at once.

NOTIFY is a wake-up, not a guarantee: one sent while a daemon's LISTEN connection is down is
lost. So `open()` returns only once LISTEN is active, every (re)connect of the listener looks
for due work, and a safety poll does so every `safety_poll` seconds whatever was heard."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterable
from typing import Any

import structlog

from hub import clock
from hub.config.settings import DEFAULT_DEDUP_WINDOW
from hub.errors import MissingExtraError, StoreError
from hub.store import flow_keys_upgrade, flow_schema
from hub.store.connection import NAMED, Connection, Cursor, Params, Row
from hub.store.schema import statements
from hub.store.sqlstore import SqlStore

log = structlog.get_logger("hub.store")
CHANNEL = "triggerhub_due"
# Held while creating tables, so daemons starting together do not race on DDL.
SCHEMA_LOCK = 0x7472_6967
# The longest due work waits when its NOTIFY was lost; an idle daemon pays one lease query.
SAFETY_POLL = 5.0
RECONNECT_AFTER = 1.0


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingExtraError("psycopg", "postgres") from None
    return psycopg


class PostgresStore(SqlStore):
    lock_clause = "FOR UPDATE SKIP LOCKED"
    source_expr = "position({bytes} in event)"

    def __init__(
        self, url: str, dedup_window: float = DEFAULT_DEDUP_WINDOW, safety_poll: float = SAFETY_POLL
    ) -> None:
        self.url = url
        self.safety_poll = safety_poll
        self._listen_conn: Any = None
        super().__init__(dedup_window=dedup_window)

    def _connect(self) -> _Connection:
        psycopg = _psycopg()
        try:
            conn = psycopg.connect(self.url)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {_one_line(exc)}") from exc
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for sql in statements(blob="BYTEA", real="DOUBLE PRECISION", json="TEXT"):
            conn.execute(sql)
        flow_schema.upgrade(conn, real="DOUBLE PRECISION")
        flow_keys_upgrade.upgrade(conn, real="DOUBLE PRECISION", param="%s")
        conn.commit()
        return _Connection(conn)

    def _begin(self, conn: Connection) -> None:
        return None  # psycopg opens a transaction with the first statement

    async def open(self) -> None:
        await super().open()
        try:
            self._listen_conn = await self._subscribe()
        except BaseException:
            await super().close()
            raise
        # Supervised: the safety poll is what bounds a missed wake-up, so it must not end.
        self.loops.spawn("pg-listen", self._listen)
        self.loops.spawn("pg-safety-poll", self._poll)

    async def close(self) -> None:
        await self.loops.cancel("pg-listen", "pg-safety-poll")
        await self._unsubscribe()
        await super().close()

    def _due(self, run_at: float) -> None:
        super()._due(run_at)
        with contextlib.suppress(StoreError):  # closing: nobody else needs to hear it
            self._writer.call_nowait(
                lambda conn: conn.execute(
                    "SELECT pg_notify(:channel, :run_at)",
                    {"channel": CHANNEL, "run_at": repr(run_at)},
                )
            )

    async def _subscribe(self) -> Any:
        """A connection on which LISTEN is active when this returns."""
        psycopg = _psycopg()
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {_one_line(exc)}") from exc
        try:
            await conn.execute(f"LISTEN {CHANNEL}")
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, psycopg.Error):
                raise StoreError(f"cannot LISTEN on PostgreSQL: {_one_line(exc)}") from exc
            raise
        return conn

    async def _unsubscribe(self) -> None:
        conn, self._listen_conn = self._listen_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _listen(self) -> None:
        psycopg = _psycopg()
        while True:
            try:
                if self._listen_conn is None:
                    self._listen_conn = await self._subscribe()
                    # Whatever was notified while nobody listened is lost: look now.
                    self._wake_here(clock.now())
                async for note in self._listen_conn.notifies():
                    self._wake_here(float(note.payload))
            except (StoreError, psycopg.Error, OSError, ValueError) as exc:
                log.warning("LISTEN connection lost; reconnecting", error=str(exc))
                await self._unsubscribe()
                await asyncio.sleep(RECONNECT_AFTER)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.safety_poll)
            now = clock.now()
            self._wake_here(now)
            self._outbox_due(now)  # another daemon's deliveries, say of one that died

    def _wake_here(self, run_at: float) -> None:
        """Wake this daemon's dispatcher without notifying the others."""
        super()._due(run_at)


def _one_line(exc: Exception) -> str:
    """libpq's messages span lines (a hint under the error); a start-up error is one line."""
    return " ".join(str(exc).split())


@functools.cache
def _pyformat(sql: str) -> str:
    """The store's `:name` parameters in psycopg's spelling, `%(name)s`."""
    return NAMED.sub(r"%(\1)s", sql)


class _Connection:
    """psycopg with the named parameters and JSON append the store's SQL is written in."""

    append_history = (
        "(history::jsonb || jsonb_build_array(jsonb_build_array("
        ":h_status::text, :h_at::double precision, :h_detail::text)))::text"
    )
    append_two_history = (
        "(history::jsonb || jsonb_build_array("
        "jsonb_build_array(:s_status::text, :s_at::double precision, :s_detail::text), "
        "jsonb_build_array(:h_status::text, :h_at::double precision, :h_detail::text)))::text"
    )
    placeholder = "%s"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @property
    def broken(self) -> bool:
        """The server side is gone: the store connects anew instead of failing forever."""
        return bool(self._conn.broken)

    def execute(self, sql: str, params: Params | Row | None = None) -> Cursor:
        cur: Cursor = self._conn.execute(_pyformat(sql), params)
        return cur

    def executemany(self, sql: str, rows: Iterable[Params | Row]) -> Cursor:
        cur = self._conn.cursor()
        cur.executemany(_pyformat(sql), rows)
        return cur  # type: ignore[no-any-return]

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()
