"""The mongodb trigger without a server: change documents (real BSON values, as PyMongo hands
them over) → events, the stored resume position, and how the change stream is opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from bson import Binary, Decimal128, Int64, ObjectId, Timestamp
from pymongo.errors import OperationFailure

from hub.store.base import Checkpoint
from triggers.mongodb import parse, stream
from triggers.mongodb.config import MongoTriggerConfig
from triggers.mongodb.position import Position, checkpoint_name, decode

SOURCE = "mongodb://db1:27017/shop.orders"
OID = ObjectId("65a1b2c3d4e5f60718293a4b")
# PyMongo decodes BSON dates as naive datetimes in UTC (tz_aware=False by default).
WALL = datetime(2024, 1, 11, 19, 6, 40, 123000)
WALL_TEXT = "2024-01-11T19:06:40.123000Z"
CLUSTER = Timestamp(1_705_000_000, 3)  # 2024-01-11T19:06:40Z


def token(data: str = "8265A1B2C3000000012B022C0100296E5A1004") -> dict[str, Any]:
    return {"_data": data}


def change(operation: str = "insert", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": token(),
        "operationType": operation,
        "clusterTime": CLUSTER,
        "wallTime": WALL,
        "ns": {"db": "shop", "coll": "orders"},
        "documentKey": {"_id": OID},
    }
    doc.update(fields)
    return doc


def config(**fields: Any) -> MongoTriggerConfig:
    return MongoTriggerConfig.model_validate(
        {"type": "mongodb", "function": "f", "uri": "mongodb://db1", **fields}
    )


# -- one change → one event -------------------------------------------------------------------


def test_an_insert_with_bson_values_becomes_an_event() -> None:
    full = {
        "_id": OID,
        "total": Decimal128("19.99"),
        "count": Int64(2**60),
        "small": Int64(7),
        "placed": datetime(2024, 1, 1, 12, 0, 0, 500000),
        "raw": Binary(b"\x01\x02\xff", 0),
        "uuid": Binary(bytes(range(16)), 4),
        "seen": Timestamp(42, 7),
        "ratio": 1.5,
        "name": "ünïcode",
        "tags": ["a", 1],
    }
    event = parse.parse(change(fullDocument=full), SOURCE)

    assert event.type == "triggerhub.mongodb.insert"
    assert event.source == SOURCE
    assert event.subject == f"shop.orders/{OID}"
    assert event.time == WALL_TEXT
    assert event.datacontenttype == "application/json"
    assert event.extensions == {"mongodbnamespace": "shop.orders"}
    assert event.idempotency_key == "mongodb:8265A1B2C3000000012B022C0100296E5A1004"
    assert event.ordering_key is None  # ordering: none is the default
    assert event.data == {
        "_id": {"_data": "8265A1B2C3000000012B022C0100296E5A1004"},
        "operationType": "insert",
        "clusterTime": {"$timestamp": {"t": 1_705_000_000, "i": 3}},
        "wallTime": {"$date": "2024-01-11T19:06:40.123Z"},
        "ns": {"db": "shop", "coll": "orders"},
        "documentKey": {"_id": {"$oid": str(OID)}},
        "fullDocument": {
            "_id": {"$oid": str(OID)},
            "total": {"$numberDecimal": "19.99"},
            "count": 2**60,  # relaxed: plain number, not rounded
            "small": 7,
            "placed": {"$date": "2024-01-01T12:00:00.500Z"},
            "raw": {"$binary": {"base64": "AQL/", "subType": "00"}},
            "uuid": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}},
            "seen": {"$timestamp": {"t": 42, "i": 7}},
            "ratio": 1.5,
            "name": "ünïcode",
            "tags": ["a", 1],
        },
    }
    # The whole event serialises as JSON (nothing BSON-only left in it).
    assert orjson.loads(event.to_json())["data"]["fullDocument"]["count"] == 2**60


@pytest.mark.parametrize("operation", ["update", "replace", "delete", "dropDatabase"])
def test_the_type_names_the_operation(operation: str) -> None:
    assert parse.parse(change(operation), SOURCE).type == f"triggerhub.mongodb.{operation}"


@pytest.mark.parametrize(
    ("key", "subject"),
    [
        ({"_id": OID}, f"shop.orders/{OID}"),
        ({"_id": "order-17"}, "shop.orders/order-17"),
        ({"_id": 17}, "shop.orders/17"),
        ({"_id": Int64(9_007_199_254_740_993)}, "shop.orders/9007199254740993"),
        ({"_id": {"region": "eu", "n": 3}}, 'shop.orders/{"region":"eu","n":3}'),
        # A sharded collection's documentKey carries the shard key too.
        ({"region": "eu", "_id": OID}, f'shop.orders/{{"region":"eu","_id":{{"$oid":"{OID}"}}}}'),
    ],
)
def test_subject_is_namespace_and_document_key(key: dict[str, Any], subject: str) -> None:
    assert parse.parse(change(documentKey=key), SOURCE).subject == subject


def test_changes_without_a_document_key() -> None:
    drop = change("drop")
    del drop["documentKey"]
    drop_database = change("dropDatabase", ns={"db": "shop"})
    del drop_database["documentKey"]
    invalidate = {"_id": token("82AA"), "operationType": "invalidate", "clusterTime": CLUSTER}

    assert parse.parse(drop, SOURCE).subject == "shop.orders"
    assert parse.parse(drop, SOURCE).extensions == {"mongodbnamespace": "shop.orders"}
    assert parse.parse(drop_database, SOURCE).subject == "shop"
    assert parse.parse(drop_database, SOURCE).extensions == {"mongodbnamespace": "shop"}
    event = parse.parse(invalidate, SOURCE)
    assert event.type == "triggerhub.mongodb.invalidate"
    assert event.subject is None
    assert event.extensions == {}
    assert event.idempotency_key == "mongodb:82AA"


def test_ordering_by_document() -> None:
    assert parse.parse(change(), SOURCE, "document").ordering_key == f"shop.orders/{OID}"
    assert (
        parse.parse(change(documentKey={"_id": 5}), SOURCE, "document").ordering_key
        == "shop.orders/5"
    )
    drop = change("drop")
    del drop["documentKey"]
    assert parse.parse(drop, SOURCE, "document").ordering_key == "shop.orders"
    invalidate = {"_id": token(), "operationType": "invalidate"}
    assert parse.parse(invalidate, SOURCE, "document").ordering_key == "*"
    assert parse.parse(change(), SOURCE, "none").ordering_key is None


def test_time_is_the_wall_time_in_utc() -> None:
    # Naive (as PyMongo returns it) means UTC, whatever the local zone.
    assert parse.change_time(change()) == WALL_TEXT
    aware = datetime(2024, 1, 11, 21, 6, 40, 123000, tzinfo=timezone(timedelta(hours=2)))
    assert parse.change_time(change(wallTime=aware)) == WALL_TEXT


def test_time_falls_back_to_the_cluster_time() -> None:
    older = change()
    del older["wallTime"]  # servers before 6.0 send no wallTime
    assert parse.parse(older, SOURCE).time == "2024-01-11T19:06:40.000000Z"
    del older["clusterTime"]
    assert parse.parse(older, SOURCE).time is None


def test_a_token_without_data_is_keyed_by_its_extended_json() -> None:
    event = parse.parse(change(_id={"_data": Binary(b"\x82\x01", 0)}), SOURCE)
    key = event.idempotency_key
    assert key is not None and key.startswith("mongodb:")
    assert orjson.loads(key.removeprefix("mongodb:")) == {
        "_data": {"$binary": {"base64": "ggE=", "subType": "00"}}
    }


def test_a_change_without_operation_type_is_refused() -> None:
    broken = change()
    del broken["operationType"]
    with pytest.raises(ValueError, match="no operationType"):
        parse.parse(broken, SOURCE)
    with pytest.raises(ValueError, match="no operationType"):
        parse.parse(change(operationType=""), SOURCE)


# -- invalid changes, ordering of a batched trigger --------------------------------------------


def test_change_events_keep_change_order_and_hide_an_unasked_invalidate() -> None:
    changes = [
        change(_id=token("82A1")),
        change("update", _id=token("82A2")),
        change("invalidate", _id=token("82A3")),
    ]
    events = parse.change_events(changes, SOURCE, ["insert", "update"], "document")
    assert [e.idempotency_key for e in events] == ["mongodb:82A1", "mongodb:82A2"]
    assert [e.ordering_key for e in events] == ["shop.orders/" + str(OID)] * 2


def test_invalid_carries_the_change_and_the_reason() -> None:
    bad = change(operationType=None)
    event = parse.unparsed_event(bad, SOURCE, "the change document has no operationType")
    assert event.type == "triggerhub.mongodb.invalid"
    assert event.source == SOURCE
    assert event.subject == "shop.orders"
    assert event.extensions == {"triggerhuberror": "the change document has no operationType"}
    assert event.idempotency_key == "mongodb:8265A1B2C3000000012B022C0100296E5A1004"
    assert event.data["documentKey"] == {"_id": {"$oid": str(OID)}}


def test_invalid_without_token_or_namespace() -> None:
    event = parse.unparsed_event({"operationType": "insert"}, SOURCE, "no _id")
    assert event.idempotency_key is None
    assert event.subject is None
    assert event.data == {"operationType": "insert"}
    # A value that is not BSON at all still yields an event (its repr as data).
    odd = parse.unparsed_event({"_id": token(), "x": object()}, SOURCE, "odd")
    assert isinstance(odd.data, str) and "object object" in odd.data
    assert odd.idempotency_key == "mongodb:8265A1B2C3000000012B022C0100296E5A1004"


# -- source ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "location"),
    [
        ("mongodb://db1", "mongodb://db1"),
        ("mongodb://db1:27017/", "mongodb://db1:27017"),
        ("mongodb://user:secret@db1:27017/admin", "mongodb://db1:27017"),
        (
            "mongodb://app:p%40ss%2Fw@a:27017,b:27018,c/shop?replicaSet=rs0&authSource=admin",
            "mongodb://a:27017,b:27018,c",
        ),
        ("mongodb://a,b/?replicaSet=rs&tlsCAFile=/etc/ca.pem", "mongodb://a,b"),
        (
            "mongodb+srv://u:pw@cluster0.abc12.mongodb.net/?retryWrites=true&w=majority",
            "mongodb+srv://cluster0.abc12.mongodb.net",
        ),
    ],
)
def test_public_location_drops_credentials_and_options(uri: str, location: str) -> None:
    assert parse.public_location(uri) == location
    assert "secret" not in parse.public_location(uri)
    assert parse.event_source(uri, "shop.orders") == f"{location}/shop.orders"


# -- the stored position -----------------------------------------------------------------------


def test_position_round_trip_keeps_the_token_and_its_bson_types() -> None:
    # Values as PyMongo decodes them: BinData subtype 0 as bytes, dates naive in UTC.
    stored = {
        "_data": "8265A1B2C3000000012B022C0100296E5A1004",
        "legacy": b"\x82\x00\xff",
        "uuid": Binary(bytes(range(16)), 4),
        "n": Int64(5),
        "i": 7,
        "ts": Timestamp(1_705_000_000, 3),
        "at": datetime(2024, 1, 1, 12, 0, 0, 123000),
        "dec": Decimal128("1.10"),
        "oid": OID,
        "nested": {"list": [Int64(1), "x"]},
    }
    position = Position(stored, "shop.orders", invalidated=True, time=WALL_TEXT)
    text = position.encode()
    assert orjson.loads(text)["v"] == 1
    back = decode(text)

    assert back == position
    assert back.token == stored
    assert {k: type(v) for k, v in back.token.items()} == {k: type(v) for k, v in stored.items()}
    assert type(back.token["nested"]["list"][0]) is Int64
    assert (back.namespace, back.invalidated, back.time) == ("shop.orders", True, WALL_TEXT)


def test_position_defaults_and_checkpoint() -> None:
    position = decode(Position(token(), "*").encode())
    assert position == Position(token(), "*", invalidated=False, time=None)
    assert checkpoint_name("orders") == "mongodb:orders"
    checkpoint = Position(token(), "shop").checkpoint("orders")
    assert checkpoint == Checkpoint("mongodb:orders", Position(token(), "shop").encode())


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ("not json", "malformed resume position"),
        ("[1, 2]", "malformed resume position"),
        ('{"v": 2, "token": "{}", "namespace": "x"}', "unknown resume-position version 2"),
        ('{"token": "{}", "namespace": "x"}', "unknown resume-position version None"),
        ('{"v": 1, "namespace": "x"}', "malformed resume position: no 'token' in it"),
        ('{"v": 1, "token": "{}"}', "malformed resume position: no 'namespace' in it"),
        ('{"v": 1, "token": "[1]", "namespace": "x"}', "the resume token is not a document"),
        ('{"v": 1, "token": 5, "namespace": "x"}', "malformed resume position"),
    ],
)
def test_a_bad_position_is_a_clear_value_error(stored: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        decode(stored)
    assert message in str(caught.value)


# -- opening the stream ------------------------------------------------------------------------


def test_pipeline_puts_operation_types_first_and_reads_extended_json() -> None:
    cfg = config(
        operation_types=["update", "insert"],
        pipeline=[
            {"$match": {"fullDocument.placed": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}},
            {"$match": {"fullDocument.owner": {"$oid": str(OID)}}},
            {"$project": {"_id": 1, "fullDocument": 1}},
        ],
    )
    stages = stream.pipeline(cfg)
    # The invalidate is always read (it ends the stream and its token reopens it).
    assert stages[0] == {"$match": {"operationType": {"$in": ["insert", "invalidate", "update"]}}}
    since = stages[1]["$match"]["fullDocument.placed"]["$gte"]
    assert isinstance(since, datetime)
    assert since.replace(tzinfo=since.tzinfo or UTC) == datetime(2024, 1, 1, tzinfo=UTC)
    assert stages[2] == {"$match": {"fullDocument.owner": OID}}
    assert stages[3] == {"$project": {"_id": 1, "fullDocument": 1}}
    assert len(stages) == 4
    # The config keeps what was written.
    assert cfg.pipeline is not None and cfg.pipeline[1] == {
        "$match": {"fullDocument.owner": {"$oid": str(OID)}}
    }


def test_listing_invalidate_does_not_repeat_it() -> None:
    stages = stream.pipeline(config(operation_types=["invalidate", "drop", "invalidate"]))
    assert stages == [{"$match": {"operationType": {"$in": ["drop", "invalidate"]}}}]


def test_pipeline_without_filters_is_empty() -> None:
    assert stream.pipeline(config()) == []
    assert stream.pipeline(config(pipeline=[{"$match": {"a": 1}}])) == [{"$match": {"a": 1}}]


def test_stream_options_at_the_defaults() -> None:
    options, how = stream.stream_options(config(), None)
    assert how == "now"
    assert options == {"pipeline": [], "max_await_time_ms": 1000, "batch_size": 100}


def test_stream_options_full_document() -> None:
    options, _ = stream.stream_options(
        config(
            full_document="updateLookup",
            full_document_before_change="whenAvailable",
            batch_size=500,  # gathers 500 changes per invocation, in the store: not the read's
        ),
        None,
    )
    assert options["full_document"] == "updateLookup"
    assert options["full_document_before_change"] == "whenAvailable"
    assert options["batch_size"] == 100


def test_stream_options_resume_from_a_position() -> None:
    cfg = config(start="2024-01-01T00:00:00Z")
    options, how = stream.stream_options(cfg, Position(token("82A1"), "*"))
    assert how == "resume_after"
    assert options["resume_after"] == {"_data": "82A1"}
    assert "start_after" not in options and "start_at_operation_time" not in options

    options, how = stream.stream_options(cfg, Position(token("82A2"), "*", invalidated=True))
    assert how == "start_after"
    assert options["start_after"] == {"_data": "82A2"}
    assert "resume_after" not in options and "start_at_operation_time" not in options


def test_stream_options_start_time() -> None:
    options, how = stream.stream_options(config(start="2024-01-11T19:06:40Z"), None)
    assert options["start_at_operation_time"] == Timestamp(1_705_000_000, 0)
    assert how == "start_at_operation_time 2024-01-11T19:06:40Z"
    options, how = stream.stream_options(config(start="2024-01-11T21:06:40+02:00"), None)
    assert options["start_at_operation_time"] == Timestamp(1_705_000_000, 0)


def test_stream_options_now_ignores_position_and_start() -> None:
    cfg = config(start="2024-01-01T00:00:00Z")
    options, how = stream.stream_options(cfg, Position(token(), "*"), now=True)
    assert how == "now"
    assert not {"resume_after", "start_after", "start_at_operation_time"} & set(options)


@pytest.mark.parametrize("fields", [{"batch_size": 10, "batch_window": "250ms"}, {"batch": True}])
def test_max_await_is_the_servers_wait_whatever_the_batching(fields: dict[str, Any]) -> None:
    """A batch waits for its events in the store (`batching.max_wait`), not on the server."""
    options, _ = stream.stream_options(config(max_await="2s", **fields), None)
    assert options["max_await_time_ms"] == 2000


@pytest.mark.parametrize(
    ("code", "errmsg", "lost"),
    [
        (286, "Resume of change stream was not possible", True),
        (136, "CappedPositionLost", True),
        (280, "cannot resume stream; the resume token was not found.", True),
        (
            280,
            "Encountered an event whose _id field, which contains the resume token, was "
            "modified by the pipeline",
            False,
        ),
        (40324, "Unrecognized pipeline stage name", False),
    ],
)
def test_history_lost_is_told_apart_from_other_stream_errors(
    code: int, errmsg: str, lost: bool
) -> None:
    error = OperationFailure(errmsg, code, {"ok": 0, "code": code, "errmsg": errmsg})
    assert stream.history_lost(error) is lost
