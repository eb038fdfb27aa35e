"""What an integrity check costs on a big SQLite store:
`python -m bench.store_check [--rows N] [--keep PATH]` fills a store through the real store
operations (nine in ten invocations finished with a response, the rest queued), then times
`PRAGMA quick_check`, the daemon's check at open (the file read front to back, then
quick_check) and `PRAGMA integrity_check` (`triggerhub store check`), with the file out of and
in the page cache."""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.stats import machine, table
from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.status import Status
from hub.store import attempts, invocations
from hub.store.base import Routing
from hub.store.integrity import check_at_open
from hub.store.sqlite import SqliteStore

BATCH = 10_000
DATA = {"bucket": "uploads", "key": "images/2026/11/photo-000000.jpg", "size": 482113, "n": 0}


def fill(path: Path, rows: int) -> None:
    conn = SqliteStore(path)._connect_writer()
    now = time.time()
    for start in range(0, rows, BATCH):
        items = [
            NewInvocation(
                id=new_id(),
                function="resize",
                event=Event(type="object.created", source="s3", data={**DATA, "n": start + n}),
                not_before=now,
                deadline=now + 86400,
            )
            for n in range(min(BATCH, rows - start))
        ]
        conn.execute("BEGIN IMMEDIATE")
        invocations.submit(conn, items, now=now, dedup_window=86400.0)
        for n, item in enumerate(items):
            if n % 10:
                lease = "UPDATE invocations SET lease_owner = 'bench' WHERE id = :id"
                conn.execute(lease, {"id": item.id})
                attempts.finalize(
                    conn, inv_id=item.id, owner="bench", now=now, status=Status.SUCCEEDED,
                    condition="Success", error=None, response=b'{"width": 800, "height": 600}',
                    routing=Routing(), dedup_window=86400.0,
                )  # fmt: skip
        conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def evict(path: Path) -> None:
    """Drop the file's pages from the OS page cache: the first start after a boot."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def timed(path: Path, pragma: str, cold: bool) -> str:
    if cold:
        evict(path)
    conn = sqlite3.connect(path)
    try:
        t0 = time.perf_counter()
        result = conn.execute(f"PRAGMA {pragma}").fetchall()
        elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    verdict = "ok" if result == [("ok",)] else f"{len(result)} problems"
    return f"{elapsed:.2f} s ({verdict})"


def timed_open_check(path: Path, cold: bool) -> str:
    if cold:
        evict(path)
    t0 = time.perf_counter()
    check_at_open(path)
    return f"{time.perf_counter() - t0:.2f} s (ok)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the store at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "hub.db"
        if not path.exists():
            t0 = time.perf_counter()
            fill(path, args.rows)
            print(f"filled {args.rows:,} rows in {time.perf_counter() - t0:.0f} s")
        rows = [("machine", machine()), ("SQLite", sqlite3.sqlite_version)]
        rows.append(("store file", f"{path.stat().st_size / 2**20:.0f} MiB, {args.rows:,} rows"))
        for cold in (True, False):
            cache = "cold cache" if cold else "warm cache"
            rows.append((f"quick_check, {cache}", timed(path, "quick_check", cold)))
            rows.append((f"check at open, {cache}", timed_open_check(path, cold)))
            rows.append((f"integrity_check, {cache}", timed(path, "integrity_check", cold)))
        print(table(rows))


if __name__ == "__main__":
    main()
