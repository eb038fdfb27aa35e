"""The embedded default: one SQLite file in WAL mode.

Durability is explicit rather than left to SQLite's per-commit fsync: the writer connection
runs with synchronous=OFF and the committer fsyncs the WAL file once per group commit (the
WAL holds every committed frame, so a synced WAL is a durable commit). Checkpoints run on their
own connection with synchronous=FULL, which syncs the database file before the WAL can be
reused, so frames are only overwritten once their pages are safely in the database.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import structlog

from hub.config.functions import Backoff
from hub.config.settings import DEFAULT_DEDUP_WINDOW
from hub.errors import StoreError
from hub.retry import compute_backoff
from hub.store import flow_keys_upgrade, flow_schema, integrity
from hub.store.connection import Connection, Params, Row
from hub.store.lockfile import StoreLock
from hub.store.loop_committer import LoopCommitter
from hub.store.schema import statements
from hub.store.sqlstore import Committer, SqlStore

CHECKPOINT_EVERY = 1.0
CHECKPOINT_BUSY_TIMEOUT = 0.2
CHECKPOINT_WAL_BYTES = 4 * 2**20
# A checkpoint that failed (the disk was full, say) is retried after this, however long it
# takes: until one succeeds the WAL only grows.
CHECKPOINT_BACKOFF = Backoff(initial=1.0, multiplier=2.0, max=30.0, jitter=True)
log = structlog.get_logger("hub.store")


class SqliteStore(SqlStore):
    def __init__(
        self,
        path: str | Path,
        synchronous: str = "full",
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
    ) -> None:
        self.path = Path(path)
        self.fsync = synchronous.lower() == "full"
        self._wal_fd: int | None = None
        self._lock = StoreLock(self.path)
        super().__init__(dedup_window=dedup_window)

    def _make_writer(self) -> Committer:
        return LoopCommitter(self._connect_writer, self._begin, self._sync_wal, self.health)

    def _connect(self) -> _Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_size_limit=67108864")
        for sql in statements(blob="BLOB", real="REAL", json="TEXT"):
            conn.execute(sql)
        flow_schema.upgrade(conn, real="REAL")
        flow_keys_upgrade.upgrade_sqlite(conn)
        return _Connection(conn)

    def _connect_writer(self) -> _Connection:
        conn = self._connect()
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        # The writer restarts the WAL after a complete checkpoint: cut it back to the size a
        # checkpoint is due at, so a WAL that grew while checkpoints failed gives its space back.
        conn.execute(f"PRAGMA journal_size_limit={CHECKPOINT_WAL_BYTES}")
        return conn

    def _begin(self, conn: Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _sync_wal(self) -> None:
        if not self.fsync:
            return
        if self._wal_fd is None:
            self._wal_fd = os.open(f"{self.path}-wal", os.O_RDONLY)
            _fsync_dir(self.path.parent)  # the WAL's directory entry must survive too
        os.fsync(self._wal_fd)

    async def open(self) -> None:
        await asyncio.to_thread(self._claim)
        try:
            await super().open()
        except sqlite3.Error as exc:
            self._lock.release()
            raise StoreError(f"store {self.path} cannot be opened: SQLite: {exc}") from None
        except BaseException:
            self._lock.release()
            raise
        self.loops.spawn("sqlite-checkpoint", self._checkpoint_loop)

    def _claim(self) -> None:
        """Lock the file for this daemon, then check it before any work is accepted into it:
        a second daemon is refused before it reads anything."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            integrity.check_at_open(self.path)
        except BaseException:
            self._lock.release()
            raise

    async def close(self) -> None:
        await super().close()  # stops the checkpointer with the store's other loops
        try:
            await asyncio.to_thread(self._checkpoint)
        except sqlite3.Error as exc:
            # Nothing is lost: the committed frames stay in the WAL for the next open.
            log.warning("final checkpoint failed; the WAL is kept", error=str(exc))
        if self._wal_fd is not None:
            os.close(self._wal_fd)
            self._wal_fd = None
        self._lock.release()

    async def _checkpoint_loop(self) -> None:
        failures = 0
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY)
            if _size(f"{self.path}-wal") < CHECKPOINT_WAL_BYTES:
                continue
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as exc:
                failures += 1
                delay = compute_backoff(failures, CHECKPOINT_BACKOFF)
                log.error(
                    "checkpoint failed; the WAL grows until one succeeds",
                    error=str(exc),
                    failures=failures,
                    retry_in=round(delay, 3),
                )
                await asyncio.sleep(delay)
                continue
            if failures:
                log.info("checkpoint succeeded again", failures=failures)
            failures = 0

    def _checkpoint(self) -> None:
        # TRUNCATE, not PASSIVE: under a steady stream of commits a passive checkpoint races
        # the writer and rarely finds the whole WAL copied, so the WAL is never restarted and
        # only grows. TRUNCATE holds new writers back briefly (at most the short busy timeout;
        # if readers still need old frames it answers busy and the next round tries again).
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=CHECKPOINT_BUSY_TIMEOUT)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Connection:
    """sqlite3 in autocommit mode with explicit BEGIN/COMMIT issued by the committer."""

    append_history = "json_insert(history, '$[#]', json_array(:h_status, :h_at, :h_detail))"
    append_two_history = (
        "json_insert(history, '$[#]', json_array(:s_status, :s_at, :s_detail), "
        "'$[#]', json_array(:h_status, :h_at, :h_detail))"
    )
    placeholder = "?"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params | Row | None = None) -> sqlite3.Cursor:
        return self._conn.execute(sql, {} if params is None else params)

    def executemany(self, sql: str, rows: Iterable[Params | Row]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, rows)

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()
