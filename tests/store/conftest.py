"""The store contract runs against every backend: the embedded SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hub.store.base import InvocationStore
from hub.store.postgres import PostgresStore
from hub.store.sqlite import SqliteStore

StoreFactory = Callable[[], InvocationStore]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database").url
        return lambda: PostgresStore(url, dedup_window=3600)
    return lambda: SqliteStore(tmp_path / "hub.db", dedup_window=3600)


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[InvocationStore]:
    s = store_factory()
    await s.open()
    yield s
    await s.close()
