"""Is a SQLite store file whole? Checked at every open, before the daemon accepts work into it,
and in full by `triggerhub store check`.

SQLite reads only the pages a statement needs, so a file damaged in the middle opens, serves
and accepts writes until a query happens to reach the damage. `PRAGMA quick_check` walks every
page of every b-tree (without comparing indexes to their tables, which `integrity_check` adds).
On a store that is not in the OS page cache its cost is random reads along the b-trees; reading
the file sequentially first turns them into one streaming read (bench/store_check.py, 1,000,000
invocations, 494 MiB, 2-core VM: 9 to 16 s without, 1.5 to 3.8 s with; 0.6 to 2 s when the
file is in the page cache)."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from hub.errors import StoreError

# A report line names a page and what is wrong with it; a few are enough to say "damaged".
MAX_PROBLEMS = 100
PREFETCH_CHUNK = 1 << 20


@dataclass(slots=True, frozen=True)
class Report:
    path: Path
    problems: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


class Unreadable(Exception):
    """The file cannot be opened as a SQLite database at all; the message says why."""


def check_at_open(path: Path) -> None:
    """Raise StoreError (one line naming the file and what to do) unless the store is usable.
    A file that does not exist yet is fine: the store creates it."""
    if not os.path.lexists(path):
        return
    try:
        _prefetch(path)
        report = check(path, "quick_check")
    except Unreadable as exc:
        raise unusable(path, str(exc)) from None
    if not report.ok:
        more = len(report.problems) - 1
        raise unusable(path, report.problems[0] + (f" (and {more} more)" if more else ""))


def check(path: Path, pragma: str = "integrity_check") -> Report:
    """Run `PRAGMA integrity_check` (or `quick_check`) on the file, read-only."""
    started = time.monotonic()
    conn = _connect(path)
    try:
        try:
            problems = _problems(conn, f"PRAGMA {pragma}({MAX_PROBLEMS})")
        except sqlite3.Error as exc:
            # Some damage stops the whole-file check; table by table, it says where it is.
            problems = _by_table(conn, pragma) or [_reason(exc)]
    finally:
        conn.close()
    return Report(path, problems, time.monotonic() - started)


def _problems(conn: sqlite3.Connection, sql: str) -> list[str]:
    rows = conn.execute(sql).fetchall()
    lines = [line for (row,) in rows for line in str(row).splitlines() if line]
    return [line for line in lines if line not in ("ok", "*** in database main ***")]


def _by_table(conn: sqlite3.Connection, pragma: str) -> list[str]:
    try:
        tables = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
    except sqlite3.Error:
        return []
    problems: list[str] = []
    for (name,) in tables:
        quoted = '"' + str(name).replace('"', '""') + '"'
        try:
            found = _problems(conn, f"PRAGMA {pragma}({quoted})")
        except sqlite3.Error as exc:
            found = [_reason(exc)]
        problems += [f"table {name}: {line}" for line in found]
    return problems


def unusable(path: Path, reason: str) -> StoreError:
    if os.path.isdir(path):
        return StoreError(f"store {path} is a directory, not a SQLite file: point store.url at one")
    return StoreError(
        f"store {path} cannot be used: {reason}; see what is damaged with "
        f"'triggerhub store check {path}', then restore the file from a backup "
        f"(or move it and its -wal file aside to start an empty store)"
    )


def _connect(path: Path) -> sqlite3.Connection:
    if os.path.isdir(path):
        raise Unreadable("it is a directory, not a SQLite file")
    # Read-only: a check never creates a database, nor writes to a damaged one (a read-write
    # connection would checkpoint the WAL into the file when it closes).
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.Error as exc:
        raise Unreadable(_reason(exc)) from None
    return conn


def _reason(exc: sqlite3.Error) -> str:
    code = getattr(exc, "sqlite_errorname", "")
    if code == "SQLITE_NOTADB":
        return "it is not a SQLite database (its header is damaged, or it is another file)"
    if code == "SQLITE_CORRUPT":
        return "the file is damaged (SQLite: database disk image is malformed)"
    if code == "SQLITE_CANTOPEN":
        return "it cannot be opened (does it exist, and may this user read it?)"
    return f"SQLite: {exc}"


def _prefetch(path: Path) -> None:
    """Read the file front to back so the check's page reads hit the page cache."""
    buf = bytearray(PREFETCH_CHUNK)
    try:
        with open(path, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass
    except OSError as exc:
        raise Unreadable(f"reading it failed: {exc.strerror or exc}") from None
