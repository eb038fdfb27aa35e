"""The mongodb trigger against a real MongoDB-protocol server (SecantusDB), run by the real
trigger runtime into a real Hub: what each change becomes, the filters, the scopes, batches."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import Decimal128, ObjectId

from hub import Hub
from tests.mongodb.conftest import Client, checkpointed, mongo_trigger, submitted
from tests.servers.mongodb import MongoDatabase
from tests.support import MakeSet
from tests.waiting import until


async def count(hub: Hub, wanted: int, function: str = "f") -> None:
    async def enough() -> bool:
        return len(await submitted(hub, function)) >= wanted

    await until(enough, timeout=20)


async def test_insert_update_delete_become_invocations(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    orders = client[mongodb_database.name]["orders"]
    trigger = mongo_trigger(
        mongodb_database.url,
        database=mongodb_database.name,
        collection="orders",
        full_document="updateLookup",
    )
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: checkpointed(hub), timeout=20)
        oid = ObjectId()
        placed = datetime(2026, 11, 23, 12, 0, 0, 123000, tzinfo=UTC)
        await orders.insert_one({"_id": oid, "total": Decimal128("19.99"), "placed": placed})
        await count(hub, 1)  # before the update, so updateLookup sees the updated document
        await orders.update_one({"_id": oid}, {"$set": {"status": "paid"}})
        await count(hub, 2)
        await orders.delete_one({"_id": oid})
        await count(hub, 3)
        assert triggers.status()["t"]["events_in"] == 3
    insert, update, delete = await submitted(hub)
    ns = f"{mongodb_database.name}.orders"
    assert [e.type for e in (insert, update, delete)] == [
        "triggerhub.mongodb.insert",
        "triggerhub.mongodb.update",
        "triggerhub.mongodb.delete",
    ]
    assert {e.subject for e in (insert, update, delete)} == {f"{ns}/{oid}"}
    assert insert.source == f"mongodb://127.0.0.1:{mongodb_database.server.port}/{ns}"
    assert insert.extensions == {"mongodbnamespace": ns}
    # Relaxed Extended JSON: the types survive and stay readable.
    assert insert.data["fullDocument"] == {
        "_id": {"$oid": str(oid)},
        "total": {"$numberDecimal": "19.99"},
        "placed": {"$date": "2026-11-23T12:00:00.123Z"},
    }
    assert insert.data["documentKey"] == {"_id": {"$oid": str(oid)}}
    assert update.data["updateDescription"]["updatedFields"] == {"status": "paid"}
    assert update.data["fullDocument"]["status"] == "paid"
    assert delete.data["operationType"] == "delete"
    # The idempotency key is the resume token.
    for event in (insert, update, delete):
        assert event.idempotency_key == f"mongodb:{event.data['_id']['_data']}"
        assert event.time is not None and event.time.endswith("Z")
