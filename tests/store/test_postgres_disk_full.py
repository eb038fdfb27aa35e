"""PostgreSQL out of space (its tablespace on a small tmpfs, filled up): a write fails with a
store-full error and marks the store unwritable, and the store heals once space returns."""

from __future__ import annotations

import os
import pwd
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from hub.errors import StoreFullError
from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.postgres import PostgresStore
from tests.servers.postgres import Postgres
from tests.tmpfs import fill, mounted_tmpfs
from tests.waiting import until

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(60)]


def item() -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function="f",
        # Incompressible, so PostgreSQL must extend its files to store it.
        event=Event(type="t", source="s", data=os.urandom(32768).hex()),
        not_before=now + 3600,
        deadline=now + 7200,
        idempotency_key=None,
    )


@pytest.fixture
def small_tablespace(postgres_server: Postgres) -> Iterator[tuple[str, Path]]:
    """A database whose tables live on a 16 MiB tmpfs: (its URL, the mount point)."""
    # Under the server's own directory: the server's user must reach the mount point.
    where = postgres_server.base_dir / f"space-{uuid.uuid4().hex[:8]}"
    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    name = f"full_{uuid.uuid4().hex[:8]}"
    with mounted_tmpfs(where, "16m", owner=(user.pw_uid, user.pw_gid)) as disk:
        with psycopg.connect(postgres_server.url, autocommit=True) as admin:
            admin.execute(f"CREATE TABLESPACE {name} LOCATION '{disk}'")
            admin.execute(f"CREATE DATABASE {name} TABLESPACE {name}")
        try:
            yield postgres_server.url_for(name), disk
        finally:
            with psycopg.connect(postgres_server.url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                admin.execute(f"DROP TABLESPACE IF EXISTS {name}")


@pytest.fixture
async def store(small_tablespace: tuple[str, Path]) -> AsyncIterator[PostgresStore]:
    s = PostgresStore(small_tablespace[0])
    await s.open()
    yield s
    await s.close()


async def test_disk_full_on_postgres_fails_writes_clearly_and_heals(
    small_tablespace: tuple[str, Path], store: PostgresStore
) -> None:
    _, disk = small_tablespace
    [before] = await store.submit([item()])
    filler = fill(disk)
    with pytest.raises(StoreFullError, match="out of disk space"):
        await store.submit([item() for _ in range(40)])
    assert not store.health.writable
    assert await store.get(before.id) is not None  # reads go on

    filler.unlink()
    await until(lambda: store.health.writable, timeout=15)
    subs = await store.submit([item() for _ in range(40)])
    assert all(s.created for s in subs)
