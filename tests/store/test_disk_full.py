"""The SQLite store on a real full disk (a small tmpfs): writes fail with a clear error and
mark the store unwritable, the checkpointer keeps trying, and all of it heals once space
returns."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub.errors import StoreError, StoreFullError
from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.sqlite import CHECKPOINT_WAL_BYTES, SqliteStore
from tests.tmpfs import fill, free_bytes, mounted_tmpfs
from tests.waiting import until

pytestmark = pytest.mark.timeout(60)
BLOB = "x" * 65536


def item(data: object = 1) -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function="f",
        event=Event(type="t", source="s", data=data),
        not_before=now + 3600,  # nobody leases them: only the writes matter here
        deadline=now + 7200,
        idempotency_key=None,
    )


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "16m") as path:
        yield path


@pytest.fixture
async def store(disk: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(disk / "hub.db")
    await s.open()
    yield s
    await s.close()


def wal_size(disk: Path) -> int:
    wal = disk / "hub.db-wal"
    return wal.stat().st_size if wal.exists() else 0


async def test_checkpointer_survives_a_failed_checkpoint_and_truncates_the_wal(
    disk: Path, store: SqliteStore
) -> None:
    # Room for the WAL to grow past the checkpoint size, but not for the checkpoint to copy
    # those pages into hub.db: every checkpoint fails while the filler is there.
    filler = fill(disk, leave=CHECKPOINT_WAL_BYTES + 3 * 2**20)
    subs = await store.submit([item(BLOB) for _ in range(80)])
    assert wal_size(disk) > CHECKPOINT_WAL_BYTES
    # The checkpoint copied pages into hub.db until the disk was full, then failed.
    await until(lambda: free_bytes(disk) < 65536, timeout=10)

    filler.unlink()

    async def truncated() -> bool:
        # The writer restarts the WAL after a complete checkpoint. Without one, these writes
        # only grow the WAL until the disk is full again.
        with contextlib.suppress(StoreError):
            await store.submit([item()])
        return wal_size(disk) <= CHECKPOINT_WAL_BYTES

    await until(truncated, timeout=30)
    assert (disk / "hub.db").stat().st_size > CHECKPOINT_WAL_BYTES
    for sub in subs[::10]:
        assert await store.get(sub.id) is not None


async def test_full_disk_fails_writes_clearly_and_the_store_heals_itself(
    disk: Path, store: SqliteStore
) -> None:
    [before] = await store.submit([item()])
    filler = fill(disk)
    with pytest.raises(StoreFullError, match="out of disk space"):
        await store.submit([item(BLOB) for _ in range(20)])
    assert not store.health.writable
    assert store.health.reason is not None and "full" in store.health.reason
    assert await store.get(before.id) is not None  # reads go on

    filler.unlink()
    await until(lambda: store.health.writable, timeout=10)
    subs = await store.submit([item(BLOB) for _ in range(20)])
    assert all(s.created for s in subs)
