"""The mongodb trigger against a real MongoDB-protocol server (SecantusDB), run by the real
trigger runtime into a real Hub: what each change becomes, the filters, the scopes, batches."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import Decimal128, ObjectId

from hub import Hub
from hub.store.base import ListQuery
from tests.mongodb.conftest import Client, count, mongo_trigger, running, submitted
from tests.servers.mongodb import MongoDatabase
from tests.support import MakeSet
from tests.waiting import until


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
    async with running(hub, make_set, trigger) as triggers:
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


async def test_operation_types_and_pipeline_filter_on_the_server(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    trigger = mongo_trigger(
        mongodb_database.url,
        database=mongodb_database.name,
        collection="items",
        operation_types=["insert", "delete"],
        # Extended JSON in YAML: only documents placed after this instant.
        pipeline=[{"$match": {"fullDocument.at": {"$gte": {"$date": "2026-01-01T00:00:00Z"}}}}],
    )
    async with running(hub, make_set, trigger) as triggers:
        await items.insert_one({"_id": 1, "at": datetime(2025, 6, 1, tzinfo=UTC)})  # too old
        await items.insert_one({"_id": 2, "at": datetime(2026, 6, 1, tzinfo=UTC)})
        await items.update_one({"_id": 2}, {"$set": {"x": 1}})  # not an insert or delete
        await items.insert_one({"_id": 3, "at": datetime(2026, 7, 1, tzinfo=UTC)})
        await count(hub, 2)
        # Deletes have no fullDocument, so this pipeline drops them too: nothing more comes.
        await items.delete_one({"_id": 2})
        await items.insert_one({"_id": 4, "at": datetime(2026, 8, 1, tzinfo=UTC)})
        await count(hub, 3)
        status = triggers.status()["t"]
    events = await submitted(hub)
    assert [(e.type, e.data["documentKey"]["_id"]) for e in events] == [
        ("triggerhub.mongodb.insert", 2),
        ("triggerhub.mongodb.insert", 3),
        ("triggerhub.mongodb.insert", 4),
    ]
    # The server filtered: the trigger never even read the others.
    assert status["events_in"] == 3


async def test_database_scope_sees_every_collection(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    db = client[mongodb_database.name]
    trigger = mongo_trigger(mongodb_database.url, database=mongodb_database.name)
    async with running(hub, make_set, trigger) as triggers:
        await db["a"].insert_one({"_id": "x"})
        await db["b"].insert_one({"_id": "y"})
        await client["elsewhere_" + mongodb_database.name]["c"].insert_one({"_id": "z"})
        await db["a"].insert_one({"_id": "w"})
        await count(hub, 3)
        detail = triggers.status()["t"]["detail"]
    await client.drop_database("elsewhere_" + mongodb_database.name)
    ns = mongodb_database.name
    assert [e.subject for e in await submitted(hub)] == [f"{ns}.a/x", f"{ns}.b/y", f"{ns}.a/w"]
    assert detail["scope"] == "database"
    assert detail["watching"] == ns
    assert detail["stream"] == "open"


async def test_cluster_scope_sees_every_database(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    other = "other_" + mongodb_database.name
    # Only this test's databases: the session's server is shared with other tests.
    trigger = mongo_trigger(
        mongodb_database.url,
        operation_types=["insert"],
        pipeline=[{"$match": {"ns.db": {"$in": [mongodb_database.name, other]}}}],
    )
    async with running(hub, make_set, trigger) as triggers:
        await client[mongodb_database.name]["a"].insert_one({"_id": 1})
        await client[other]["b"].insert_one({"_id": 2})
        await count(hub, 2)
        assert triggers.status()["t"]["detail"]["scope"] == "cluster"
    await client.drop_database(other)
    events = await submitted(hub)
    assert [e.subject for e in events] == [f"{mongodb_database.name}.a/1", f"{other}.b/2"]
    assert events[0].source == f"mongodb://127.0.0.1:{mongodb_database.server.port}/*"


async def test_batch_groups_changes_into_one_invocation_in_document_order(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    trigger = mongo_trigger(
        mongodb_database.url,
        database=mongodb_database.name,
        collection="items",
        batch={"size": 10, "window": "300ms"},
        ordering="document",
    )
    async with running(hub, make_set, trigger):
        await items.insert_many([{"_id": n} for n in range(25)])
        await until(lambda: _changes(hub, 25), timeout=20)
    events = await submitted(hub)
    assert {e.type for e in events} == {"triggerhub.batch"}
    ids = [member["data"]["documentKey"]["_id"] for e in events for member in e.data]
    assert ids == list(range(25))
    # Full batches of ten; the last, partial one left after its wait.
    assert [len(e.data) for e in events][:2] == [10, 10]
    # A batch mixes documents: with `ordering: document` the trigger's batches run one at a
    # time, in change order (every change carries the watched namespace as ordering key).
    watched = f"{mongodb_database.name}.items"
    assert {m["orderingkey"] for e in events for m in e.data} == {watched}
    page = await hub.query(ListQuery(function="f", limit=100))
    assert {inv.ordering_key for inv in page.items} == {watched}


async def _changes(hub: Hub, wanted: int) -> bool:
    return sum(len(e.data) for e in await submitted(hub)) >= wanted


async def test_ordering_by_document_gives_each_document_an_ordering_key(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    items = client[mongodb_database.name]["items"]
    trigger = mongo_trigger(
        mongodb_database.url,
        database=mongodb_database.name,
        collection="items",
        ordering="document",
    )
    async with running(hub, make_set, trigger):
        await items.insert_one({"_id": "a"})
        await items.update_one({"_id": "a"}, {"$set": {"n": 1}})
        await items.insert_one({"_id": "b"})
        await count(hub, 3)
    keys = [e.ordering_key for e in await submitted(hub)]
    ns = f"{mongodb_database.name}.items"
    assert keys == [f"{ns}/a", f"{ns}/a", f"{ns}/b"]


async def test_full_document_before_change_carries_the_pre_image(
    hub: Hub, make_set: MakeSet, mongodb_database: MongoDatabase, client: Client
) -> None:
    db = client[mongodb_database.name]
    await db.create_collection("accounts")
    await db.command("collMod", "accounts", changeStreamPreAndPostImages={"enabled": True})
    trigger = mongo_trigger(
        mongodb_database.url,
        database=mongodb_database.name,
        collection="accounts",
        full_document_before_change="required",
        operation_types=["update", "delete"],
    )
    async with running(hub, make_set, trigger):
        await db["accounts"].insert_one({"_id": 7, "balance": 10})
        await db["accounts"].update_one({"_id": 7}, {"$inc": {"balance": 5}})
        await db["accounts"].delete_one({"_id": 7})
        await count(hub, 2)
    update, delete = await submitted(hub)
    assert update.data["fullDocumentBeforeChange"] == {"_id": 7, "balance": 10}
    assert delete.data["fullDocumentBeforeChange"] == {"_id": 7, "balance": 15}
