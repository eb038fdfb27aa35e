"""PostgreSQL connections do get lost (a restart, a failover, an administrator's
pg_terminate_backend): the store fails the writes in flight with a store error and connects
anew, instead of failing every later write and read on a dead connection."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import psycopg
import pytest

from hub.errors import StoreError
from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.postgres import PostgresStore
from tests.servers.postgres import Database
from tests.waiting import until

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(60)]


def item() -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function="f",
        event=Event(type="t", source="s", data=1),
        not_before=now,
        deadline=now + 3600,
        idempotency_key=None,
    )


@pytest.fixture
async def store(postgres_database: Database) -> AsyncIterator[PostgresStore]:
    s = PostgresStore(postgres_database.url)
    await s.open()
    yield s
    await s.close()


def kill_store_connections(database: Database) -> int:
    with psycopg.connect(database.url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


async def test_writes_and_reads_come_back_after_the_connections_are_killed(
    postgres_database: Database, store: PostgresStore
) -> None:
    [before] = await store.submit([item()])
    assert kill_store_connections(postgres_database) >= 2  # the writer and the reader

    async def writes() -> bool:
        try:
            await store.submit([item()])
        except StoreError:
            return False  # the write that finds the connection dead fails, and says so
        return True

    async def reads() -> bool:
        try:
            return await store.get(before.id) is not None
        except StoreError:
            return False

    await until(writes, timeout=20)
    await until(reads, timeout=20)
    assert store.health.writable  # a lost connection is not a full disk
