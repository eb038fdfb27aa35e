"""The store contract runs against every backend; PostgreSQL joins when its store lands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hub.store.base import InvocationStore
from hub.store.sqlite import SqliteStore

StoreFactory = Callable[[], InvocationStore]


@pytest.fixture(params=["sqlite"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    def make() -> InvocationStore:
        return SqliteStore(tmp_path / "hub.db", dedup_window=3600)

    return make


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[InvocationStore]:
    s = store_factory()
    await s.open()
    yield s
    await s.close()
