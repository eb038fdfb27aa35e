"""parse() is pure: every shape of record, no broker."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from hub.eventcheck import MAX_DATA_DEPTH, check_storable
from hub.events import INVALID_ATTR, Event
from hub.intake.submit import storable
from tests.kafka.conftest import kafka_trigger
from triggers.kafka.config import start_timestamp_ms
from triggers.kafka.offsets import OffsetTracker
from triggers.kafka.parse import (
    INVALID_TYPE,
    RECORD_TYPE,
    PartitionEvents,
    RawRecord,
    parse,
    text_or_base64,
)


def raw(value: bytes | None, offset: int = 7, **fields: object) -> RawRecord:
    return RawRecord(topic="orders", partition=2, offset=offset, value=value, **fields)  # type: ignore[arg-type]


def test_a_json_value_is_the_data_and_the_position_names_the_event() -> None:
    event = parse(
        raw(b'{"n": 1}', key=b"cust-1", timestamp_ms=1_700_000_000_123, headers=[("h", b"v")]),
        1024,
    )
    assert (event.type, event.source, event.subject) == (
        RECORD_TYPE,
        "kafka://orders",
        "orders/2/7",
    )
    assert event.data == {"n": 1}
    assert event.idempotency_key == "kafka:orders:2:7"
    assert event.time == "2023-11-14T22:13:20.123000Z"
    assert event.extensions == {
        "kafkatopic": "orders",
        "kafkapartition": 2,
        "kafkaoffset": 7,
        "kafkakey": "cust-1",
        "kafkatimestamp": 1_700_000_000_123,
        "kafkaheaders": {"h": "v"},
    }


def test_a_value_that_is_not_json_is_carried_as_base64() -> None:
    event = parse(raw(b"\xff\x00plain", key=b"\xfe"), 1024)
    assert event.type == RECORD_TYPE
    assert event.to_dict()["data_base64"] == base64.b64encode(b"\xff\x00plain").decode()
    assert event.extensions["kafkakey"] == "base64:/g=="


def test_a_tombstone_has_no_data() -> None:
    event = parse(raw(None), 1024)
    assert event.type == RECORD_TYPE and event.data is None


def test_an_oversized_value_is_an_invalid_event_with_the_truncated_bytes() -> None:
    event = parse(raw(b"x" * 100), 10)
    assert event.type == INVALID_TYPE
    assert event.data == b"x" * 10
    assert "over max_payload_bytes" in event.extensions[INVALID_ATTR]
    assert event.extensions["kafkavaluesize"] == 100
    assert event.idempotency_key == "kafka:orders:2:7"


def test_a_value_that_claims_json_and_is_not_is_invalid() -> None:
    event = parse(raw(b"{broken", headers=[("content-type", b"application/json")]), 1024)
    assert event.type == INVALID_TYPE
    assert "not" in event.extensions[INVALID_ATTR]
    assert event.data == b"{broken"


def test_a_record_time_keeps_its_milliseconds_exactly() -> None:
    # Far from 1970 a timestamp in seconds as a float no longer holds every microsecond.
    event = parse(raw(b"1", timestamp_ms=147_745_513_505_621), 1024)
    assert event.time == "6651-11-14T12:25:05.621000Z"
    assert parse(raw(b"1", timestamp_ms=0), 1024).time == "1970-01-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    "record",
    [
        {"value": b'{"n": [1, {"m": "x"}]}', "key": b"k", "timestamp_ms": 1_700_000_000_001},
        {"value": b"\xff\x00plain", "headers": [("h", b"v"), ("bin", b"\xfe")]},
        {"value": None, "key": b"\xfe"},
        {"value": b'"text"', "headers": [("content-type", b"application/json")]},
        {"value": b"{broken", "headers": [("content-type", b"application/json")]},
        {"value": b"x" * 100},
    ],
)
@pytest.mark.parametrize("ordering", ["none", "partition", "key"])
def test_the_wire_form_is_the_event_as_intake_would_write_it(
    record: dict[str, Any], ordering: str
) -> None:
    limit = 64
    wire = storable(PartitionEvents("orders", 2, limit, ordering).wire(7, **record))
    event = parse(raw(**record), limit, ordering)
    event.id = wire.event.id
    assert wire.json == check_storable(event).json
    assert Event.from_stored(wire.json) == wire.event


def test_a_value_nested_past_what_the_hub_stores_is_left_to_intake_for_its_stand_in() -> None:
    deep = b"[" * (MAX_DATA_DEPTH + 1) + b"]" * (MAX_DATA_DEPTH + 1)
    event = PartitionEvents("orders", 2, 1024).wire(7, deep)
    # Not written by the source: the trigger's filter sees the record as read.
    assert isinstance(event, Event) and event.data is not None
    wire = storable(event)
    assert "nests objects and arrays more than" in wire.event.extensions[INVALID_ATTR]
    assert wire.event.idempotency_key == "kafka:orders:2:7"
    # Brackets inside strings are counted too: such a value is checked in full, and kept.
    shallow = b'{"s": "' + b"[" * 300 + b'"}'
    kept = storable(PartitionEvents("orders", 2, 1024).wire(8, shallow))
    assert kept.event.data == {"s": "[" * 300}


def test_text_that_looks_like_base64_marking_is_itself_encoded() -> None:
    assert text_or_base64(b"base64:abc") == "base64:" + base64.b64encode(b"base64:abc").decode()


def test_acked_offsets_never_pass_an_unacked_batch() -> None:
    tracker = OffsetTracker()
    tracker.handed_out({("t", 0): (0, 9), ("t", 1): (0, 4)})
    tracker.acked({("t", 0): (0, 9), ("t", 1): (0, 4)})
    tracker.handed_out({("t", 0): (10, 19)})
    assert tracker.to_commit([("t", 0), ("t", 1)]) == {("t", 0): 10, ("t", 1): 5}
    assert tracker.nacked({("t", 0): (10, 19)}) == {("t", 0): 10}
    tracker.committed({("t", 0): 10, ("t", 1): 5})
    assert tracker.to_commit([("t", 0), ("t", 1)]) == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"group_id": "g"}, "exactly one of"),
        ({"group_id": "g", "topics": ["a"], "topic_pattern": "a.*"}, "exactly one of"),
        ({"group_id": "g", "topic_pattern": "(unclosed"}, "not a regex"),
        ({"group_id": "g", "topics": ["a"], "start": "yesterday"}, "RFC 3339"),
        ({"group_id": "g", "topics": ["a"], "start": "2026-01-01T00:00:00"}, "time zone"),
        ({"group_id": "g", "topics": ["a"], "batch_size": 10_001}, "less than or equal"),
        ({"group_id": "g", "topics": ["a"], "ordering": "random"}, "'none', 'partition' or"),
        ({"group_id": "g", "topics": ["a"], "sasl_mechanism": "PLAIN"}, "SASL_PLAINTEXT"),
    ],
)
def test_bad_options_fail_at_load(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        kafka_trigger("127.0.0.1:9092", **fields)


def test_the_password_never_shows_in_the_config_repr() -> None:
    config = kafka_trigger(
        "b:9092",
        group_id="g",
        topics=["a"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_plain_username="u",
        sasl_plain_password="hunter2",
    )
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())


def test_a_timestamp_start_is_milliseconds_since_the_epoch() -> None:
    assert start_timestamp_ms("1970-01-01T00:00:01.5Z") == 1500


def test_ordering_keys_follow_the_partition_or_the_record_key() -> None:
    assert parse(raw(b"1"), 10).ordering_key is None
    assert parse(raw(b"1", key=b"k"), 10, "partition").ordering_key == "orders/2"
    assert parse(raw(b"1", key=b"k"), 10, "key").ordering_key == "orders/k"
    assert parse(raw(b"1"), 10, "key").ordering_key is None
