"""Where a mongodb trigger starts again: after a stop, after an invalidate, after the server
restarts under an open stream, and when its stored position has fallen out of the server's
history. SecantusDB presents a one-node replica set, so the change-stream calls are real."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.config.triggers import TriggerConfig
from tests.mongodb.conftest import (
    RECORD,
    Client,
    checkpointed,
    count,
    mongo_trigger,
    running,
    submitted,
)
from tests.servers.mongodb import MongoDatabase, SecantusDB
from tests.support import MakeHub, MakeSet
from tests.waiting import until

# Servers go down in these tests; see the conftest's _reset for PyMongo's leftover sockets.
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")


def ids(events: list[Any]) -> list[Any]:
    return [e.data["documentKey"]["_id"] for e in events if "documentKey" in e.data]


def on_items(database: MongoDatabase | SecantusDB, name: str, **fields: Any) -> TriggerConfig:
    url = database.url_for(name) if isinstance(database, SecantusDB) else database.url
    return mongo_trigger(url, database=name, collection="items", **fields)


async def test_a_restart_resumes_after_the_committed_token_repeating_nothing(
    make_hub: MakeHub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    trigger = on_items(mongodb_database, mongodb_database.name)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: checkpointed(hub), timeout=20)
        await items.insert_many([{"_id": n} for n in range(5)])
        await count(hub, 5)
    # Written while no trigger runs: the stored token is before them.
    await items.insert_many([{"_id": n} for n in range(5, 12)])
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await count(hub, 12)
        await items.insert_one({"_id": 12})
        await count(hub, 13)
        status = triggers.status()["t"]
        assert ids(await submitted(hub)) == list(range(13))
    # Read again would show in events_in even though the store's idempotency keys would hide
    # it from the invocations: the second run read exactly the 8 changes after the token.
    assert status["events_in"] == 8
    assert status["detail"]["opened_with"] == "resume_after"


async def test_drop_delivers_drop_and_invalidate_then_the_trigger_ends(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    trigger = on_items(mongodb_database, mongodb_database.name)
    async with running(hub, make_set, trigger) as triggers:
        await items.insert_one({"_id": 1})
        await items.drop()
        await count(hub, 3)
        await until(lambda: triggers.status()["t"]["state"] == "ended", timeout=20)
        detail = triggers.status()["t"]["detail"]
        assert detail["stream"] == "invalidated"
        assert detail["ended_by"].startswith("invalidate at ")
        # The collection comes back; a reload starts the trigger again after the invalidate.
        await items.insert_one({"_id": 2})
        await triggers.apply({"t": trigger})
        await count(hub, 4)
        status = triggers.status()["t"]
    types = [e.type.rsplit(".", 1)[1] for e in await submitted(hub)]
    assert types == ["insert", "drop", "invalidate", "insert"]
    assert status["state"] == "connected"
    assert status["detail"]["opened_with"] == "start_after"


async def test_on_invalidate_continue_watches_on_and_can_hide_the_invalidate(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    trigger = on_items(
        mongodb_database,
        mongodb_database.name,
        on_invalidate="continue",
        operation_types=["insert", "drop"],
    )
    async with running(hub, make_set, trigger) as triggers:
        await items.insert_one({"_id": 1})
        await items.drop()
        await count(hub, 2)
        await items.insert_one({"_id": 2})
        await count(hub, 3)
        status = triggers.status()["t"]
    types = [e.type.rsplit(".", 1)[1] for e in await submitted(hub)]
    assert types == ["insert", "drop", "insert"]
    assert status["state"] == "connected"
    assert status["detail"]["opened_with"] == "start_after"


async def test_the_stream_survives_a_server_restart_and_loses_nothing(
    hub: Hub, make_set: MakeSet, mongodb_private: SecantusDB
) -> None:
    client: Client = AsyncMongoClient(mongodb_private.url, serverSelectionTimeoutMS=20_000)
    items = client["shop"]["items"]
    trigger = on_items(mongodb_private, "shop")
    try:
        async with running(hub, make_set, trigger) as triggers:
            await items.insert_many([{"_id": n} for n in range(10)])
            await count(hub, 10)
            await asyncio.to_thread(mongodb_private.restart)
            await items.insert_many([{"_id": n} for n in range(10, 20)])
            await count(hub, 20)
            # A crash this time, with a write the trigger has not read yet.
            await items.insert_one({"_id": 20})
            await asyncio.to_thread(mongodb_private.kill_and_start)
            await items.insert_many([{"_id": n} for n in range(21, 30)])
            await count(hub, 30)
            assert triggers.status()["t"]["state"] == "connected"
    finally:
        await client.close()
    assert ids(await submitted(hub)) == list(range(30))


async def test_a_server_that_is_down_at_start_is_retried_until_it_answers(
    hub: Hub, make_set: MakeSet, mongodb_private: SecantusDB
) -> None:
    await asyncio.to_thread(mongodb_private.stop)
    trigger = on_items(mongodb_private, "shop", connect_timeout="200ms")
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: triggers.status()["t"]["state"] == "reconnecting", timeout=20)
        error = triggers.status()["t"]["last_error"]
        assert f"127.0.0.1:{mongodb_private.port}" in error
        await asyncio.to_thread(mongodb_private.start)
        await until(lambda: checkpointed(hub), timeout=30)
        client: Client = AsyncMongoClient(mongodb_private.url)
        try:
            await client["shop"]["items"].insert_one({"_id": "late"})
            await count(hub, 1)
        finally:
            await client.close()


async def _lose_history(server: SecantusDB, client: Client) -> None:
    """Push the stored token out of the oplog: more writes than it keeps, then a prune."""
    await client["shop"]["filler"].insert_many([{"n": n} for n in range(120)])
    await asyncio.to_thread(server.prune_oplog)


async def test_lost_history_fails_loudly_by_default(
    make_hub: MakeHub, make_set: MakeSet, mongodb_private: SecantusDB
) -> None:
    client: Client = AsyncMongoClient(mongodb_private.url)
    items = client["shop"]["items"]
    trigger = on_items(mongodb_private, "shop")
    try:
        async with make_hub() as hub, make_set(hub) as triggers:
            await triggers.start({"t": trigger})
            await until(lambda: checkpointed(hub), timeout=20)
            await items.insert_one({"_id": 1})
            await count(hub, 1)
        await items.insert_one({"_id": 2})  # missed for good once history is lost
        await _lose_history(mongodb_private, client)
        async with make_hub() as hub, make_set(hub) as triggers:
            await triggers.start({"t": trigger})
            await until(lambda: triggers.status()["t"]["state"] == "failed", timeout=20)
            status = triggers.status()["t"]
            await items.insert_one({"_id": 3})
            assert ids(await submitted(hub)) == [1]
    finally:
        await client.close()
    assert "no longer in the server's history" in status["last_error"]
    assert "ChangeStreamHistoryLost" in status["last_error"]
    assert "on_history_lost: start_now" in status["last_error"]
    assert status["detail"]["stream"] == "history lost"
    assert status["gaps"] == 0


async def test_lost_history_with_start_now_counts_the_gap_and_goes_on(
    make_hub: MakeHub, make_set: MakeSet, mongodb_private: SecantusDB
) -> None:
    client: Client = AsyncMongoClient(mongodb_private.url)
    items = client["shop"]["items"]
    trigger = on_items(mongodb_private, "shop", on_history_lost="start_now")
    try:
        async with make_hub() as hub, make_set(hub) as triggers:
            await triggers.start({"t": trigger})
            await until(lambda: checkpointed(hub), timeout=20)
            await items.insert_one({"_id": 1})
            await count(hub, 1)
        await items.insert_one({"_id": 2})  # in the gap
        await _lose_history(mongodb_private, client)
        async with make_hub() as hub, make_set(hub) as triggers:
            stored = await hub.store.get_checkpoint("mongodb:t")
            await triggers.start({"t": trigger})
            # The new starting point is committed before anything else is read.
            await until(_moved(hub, stored), timeout=20)
            await items.insert_one({"_id": 3})
            await count(hub, 2)
            status = triggers.status()["t"]
            events = await submitted(hub)
    finally:
        await client.close()
    assert ids(events) == [1, 3]
    assert status["state"] == "connected"
    assert status["gaps"] == 1
    assert status["detail"]["opened_with"] == "now"


def _moved(hub: Hub, stored: str | None) -> Any:
    async def check() -> bool:
        return await hub.store.get_checkpoint("mongodb:t") != stored

    return check


async def test_a_reader_that_loses_its_lease_stands_by_then_resumes_exactly(
    tmp_path: Path, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db", lease_timeout=0.3)
    async with Hub(HubSettings(store=store), {"f": RECORD}) as hub, make_set(hub) as triggers:
        await triggers.start({"t": on_items(mongodb_database, mongodb_database.name)})
        await until(lambda: checkpointed(hub), timeout=20)
        await items.insert_one({"_id": 1})
        await count(hub, 1)
        # Another daemon takes the lease, as if this one had stalled past lease_timeout.
        now = time.time()
        assert await hub.store.claim_source("trigger:t", "other", now + 10, now + 3600) == "other"
        await until(lambda: triggers.status()["t"]["state"] == "standby", timeout=20)
        await items.insert_one({"_id": 2})
        await hub.store.release_source("trigger:t", "other")
        await until(lambda: triggers.status()["t"]["state"] == "connected", timeout=20)
        await count(hub, 2)
        await items.insert_one({"_id": 3})
        await count(hub, 3)
        assert ids(await submitted(hub)) == [1, 2, 3]
