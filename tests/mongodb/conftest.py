from __future__ import annotations

import gc
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.triggers import TriggerConfig
from hub.intake import TriggerSet
from hub.plugins import Registry
from hub.store.base import ListQuery
from tests.mongodb import functions
from tests.servers.mongodb import MongoDatabase
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory
from tests.waiting import until
from triggers.mongodb import KIND, MongoTriggerConfig

RECORD = FunctionConfig.model_validate(
    {"target": {"type": "python", "handler": "tests.mongodb.functions:record"}}
)
Client = AsyncMongoClient[dict[str, Any]]


def mongo_trigger(url: str, **fields: Any) -> MongoTriggerConfig:
    fields = {"type": "mongodb", "function": "f", "uri": url, "max_await": "100ms", **fields}
    return MongoTriggerConfig.model_validate(fields)


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    functions.reset()
    yield
    # PyMongo's async client leaves the socket of a failed connection attempt (a server that
    # is down or restarting) for the garbage collector, which warns about it (the driver's
    # own tests meet it too: mongodb/mongo-python-driver PR 2805, PYTHON-3923). Collect them
    # here, where that is known and expected, rather than in whichever test runs next.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unclosed <socket.socket", ResourceWarning)
        gc.collect()


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(KIND)
    return registry


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    return hub_factory(tmp_path, {name: RECORD for name in ("f", "g")})


@pytest.fixture
async def hub(make_hub: MakeHub) -> AsyncIterator[Hub]:
    async with make_hub() as hub:
        yield hub


@pytest.fixture
def make_set(registry: Registry) -> MakeSet:
    return trigger_set_factory(registry)


@pytest.fixture
async def client(mongodb_database: MongoDatabase) -> AsyncIterator[Client]:
    client: Client = AsyncMongoClient(mongodb_database.url, serverSelectionTimeoutMS=10_000)
    try:
        yield client
    finally:
        await client.close()


async def submitted(hub: Hub, function: str = "f") -> list[Event]:
    """Every event queued for `function`, in the order the changes happened (invocation ids
    grow with submission order, and the trigger submits in change order)."""
    page = await hub.query(ListQuery(function=function, limit=100_000))
    return [inv.event for inv in sorted(page.items, key=lambda inv: inv.id)]


@asynccontextmanager
async def running(hub: Hub, make_set: MakeSet, trigger: TriggerConfig) -> AsyncIterator[TriggerSet]:
    """`trigger` running as `t` once its starting token is committed: every change made from
    then on is seen (with `start: now`, earlier ones are not)."""
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: checkpointed(hub), timeout=20)
        yield triggers


async def count(hub: Hub, wanted: int, function: str = "f") -> None:
    """Wait until `wanted` invocations of `function` are queued."""

    async def enough() -> bool:
        return len(await submitted(hub, function)) >= wanted

    await until(enough, timeout=30)


async def checkpointed(hub: Hub, trigger: str = "t") -> bool:
    """The stream is open and its starting token is durable: changes from now on are seen."""
    return await hub.store.get_checkpoint(f"mongodb:{trigger}") is not None
