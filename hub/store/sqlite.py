"""The embedded default: one SQLite file in WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hub.store.schema import statements
from hub.store.sqlstore import SqlStore


class SqliteStore(SqlStore):
    def __init__(self, path: str | Path, synchronous: str = "full", dedup_window: float = 86400.0):
        super().__init__(dedup_window=dedup_window)
        self.path = Path(path)
        self.synchronous = synchronous.upper()

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA foreign_keys=OFF")
        for sql in statements(blob="BLOB", real="REAL", serial="INTEGER PRIMARY KEY"):
            conn.execute(sql)
        return _Autocommitless(conn)

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")


class _Autocommitless:
    """sqlite3 in autocommit mode with explicit BEGIN/COMMIT, plus reads inside BEGIN so a
    status query sees one consistent snapshot."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self._conn.executemany(sql, rows)

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()
