"""Notification bodies → events, without a server: the documented AWS, MinIO and OBS shapes,
topic envelopes, control messages, filters, idempotency keys and what is not a notification."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.object_storage.conftest import fixture_bytes, fixture_json, trigger
from triggers.object_storage.filters import RecordFilter
from triggers.object_storage.parse import (
    INVALID_TYPE,
    event_type,
    idempotency_key,
    parse,
    unparsed_event,
)
from triggers.object_storage.records import NotANotification, read_record

EVERYTHING = RecordFilter()


def moto_record(name: str = "ObjectCreated:Put", key: str = "a+b%2Fc%2Bd.txt") -> dict[str, Any]:
    """A record as moto's server sends it: no sequencer, no versionId."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T16:39:23.346Z",
        "eventName": name,
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": "bk1", "arn": "arn:aws:s3:::bk1"},
            "object": {"key": key, "size": 5, "eTag": "5d41402abc4b2a76b9719d911017c592"},
        },
    }


def body(*records: dict[str, Any]) -> bytes:
    return json.dumps({"Records": list(records)}).encode()


def test_aws_record_becomes_one_event_with_the_documented_shape() -> None:
    [event] = parse(fixture_bytes("aws-put.json"), EVERYTHING).events
    record = fixture_json("aws-put.json")["Records"][0]
    assert (event.type, event.source, event.subject) == (
        "triggerhub.object.created",
        "s3://amzn-s3-demo-bucket",
        "HappyFace.jpg",
    )
    assert event.time == "1970-01-01T00:00:00.000Z"
    assert event.datacontenttype == "application/json"
    assert event.data == {
        "bucket": "amzn-s3-demo-bucket",
        "key": "HappyFace.jpg",
        "size": 1024,
        "etag": "d41d8cd98f00b204e9800998ecf8427e",
        "version_id": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
        "sequencer": "0055AED6DCD90281E5",
        "event_name": "ObjectCreated:Put",
        "event_time": "1970-01-01T00:00:00.000Z",
        "region": "us-west-2",
        "record": record,
    }
    assert event.idempotency_key == (
        "s3:amzn-s3-demo-bucket:HappyFace.jpg:096fKKXTRTtl3on89fVO.nfljtsv6qko:0055AED6DCD90281E5"
    )


def test_minio_body_with_its_top_level_summary() -> None:
    [put] = parse(fixture_bytes("minio-put.json"), EVERYTHING).events
    assert put.type == "triggerhub.object.created"
    assert (put.source, put.subject) == ("s3://images", "photos/2024/my photo.jpg")
    assert put.data["event_name"] == "ObjectCreated:Put"  # the s3: prefix is dropped
    assert put.data["region"] is None  # MinIO sends "" without a configured region
    assert put.idempotency_key == "s3:images:photos/2024/my photo.jpg:1:15CFEDF8D5304D1A"
    [delete] = parse(fixture_bytes("minio-delete.json"), EVERYTHING).events
    assert delete.type == "triggerhub.object.removed"
    assert (delete.data["size"], delete.data["etag"]) == (None, None)


def test_a_minio_summary_without_records_still_names_the_object() -> None:
    summary = {"EventName": "s3:ObjectRemoved:Delete", "Key": "images/a b+c.txt"}
    [event] = parse(json.dumps(summary), EVERYTHING).events
    assert (event.type, event.source, event.subject) == (
        "triggerhub.object.removed",
        "s3://images",
        "a b+c.txt",
    )


def test_obs_record_and_its_smn_envelope() -> None:
    [event] = parse(fixture_bytes("obs-put.json"), EVERYTHING).events
    assert (event.type, event.source, event.subject) == (
        "triggerhub.object.created",
        "obs://examplebucket",
        "TEST/中 文.jpg",
    )
    assert (event.data["region"], event.data["version_id"]) == ("cn-north-4", "null")
    [wrapped] = parse(fixture_bytes("obs-via-smn.json"), EVERYTHING).events
    assert wrapped.to_dict() == event.to_dict()


def test_sns_envelope_is_unwrapped() -> None:
    inner = body(moto_record())
    envelope = {"Type": "Notification", "MessageId": "m-1", "Message": inner.decode()}
    [event] = parse(json.dumps(envelope), EVERYTHING).events
    assert event.subject == "a b/c+d.txt"


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "bk1"}, "s3:TestEvent"),
        (
            {
                "Type": "Notification",
                "Message": json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
            },
            "s3:TestEvent",
        ),
        (
            {"Type": "SubscriptionConfirmation", "SubscribeURL": "https://sns.example/confirm"},
            "topic SubscriptionConfirmation message; to confirm it, open "
            "https://sns.example/confirm",
        ),
        (
            {"type": "SubscriptionConfirmation", "subscribe_url": "https://smn.example/c"},
            "topic SubscriptionConfirmation message; to confirm it, open https://smn.example/c",
        ),
    ],
)
def test_control_messages_are_skipped(doc: dict[str, Any], why: str) -> None:
    parsed = parse(json.dumps(doc), EVERYTHING)
    assert (list(parsed.events), parsed.skipped) == ([], why)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "the body is not JSON"),
        ("[1, 2]", "the body is JSON but not an object"),
        ('{"hello": 1}', "no 'Records' list in the notification (its keys: hello)"),
        ('{"Records": []}', "'Records' list is empty"),
        ('{"Records": {}}', "no 'Records' list in the notification (its keys: Records)"),
        ('{"Records": [1]}', "Records[0] is not a JSON object"),
        ('{"Records": [{"eventName": "ObjectCreated:Put"}]}', "Records[0] has no 's3'"),
        (
            json.dumps({"Records": [{**moto_record(), "eventName": ""}]}),
            "Records[0].eventName must be a non-empty string",
        ),
        (
            json.dumps({"Records": [{**moto_record(), "s3": {"bucket": {}, "object": {}}}]}),
            "Records[0].s3.bucket.name must be a non-empty string",
        ),
        ('{"Type": "Notification", "Message": "{oops"}', "Message is not JSON"),
        ('{"EventName": "s3:ObjectCreated:Put", "Key": "nobucket"}', "needs Key 'bucket/object'"),
    ],
)
def test_what_is_not_a_notification_says_why(text: str, reason: str) -> None:
    with pytest.raises(NotANotification) as caught:
        parse(text, EVERYTHING)
    assert reason in str(caught.value)


def test_one_event_per_record_in_order() -> None:
    records = [moto_record(key=f"k{i}") for i in range(3)]
    events = parse(body(*records), EVERYTHING).events
    assert [e.subject for e in events] == ["k0", "k1", "k2"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ObjectCreated:CompleteMultipartUpload", "triggerhub.object.created"),
        ("ObjectRemoved:DeleteMarkerCreated", "triggerhub.object.removed"),
        ("ObjectRestore:Completed", "triggerhub.object.restore"),
        ("ObjectTagging:Put", "triggerhub.object.tagging"),
        ("LifecycleExpiration:Delete", "triggerhub.object.lifecycleexpiration"),
        ("Replication:OperationFailedReplication", "triggerhub.object.replication"),
    ],
)
def test_event_types_by_family(name: str, expected: str) -> None:
    assert event_type(name) == expected


def test_the_key_falls_back_to_name_time_and_etag_without_a_sequencer() -> None:
    put = read_record(moto_record(), "r")
    assert idempotency_key(put) == (
        "s3:bk1:a b/c+d.txt::ObjectCreated:Put:2026-11-23T16:39:23.346Z:"
        "5d41402abc4b2a76b9719d911017c592"
    )
    # moto's extra Put beside CompleteMultipartUpload is a different record, so a different key.
    complete = read_record(moto_record("ObjectCreated:CompleteMultipartUpload"), "r")
    assert idempotency_key(complete) != idempotency_key(put)
    # The same record delivered twice: the same key and the same event id.
    [first], [again] = (parse(body(moto_record()), EVERYTHING).events for _ in range(2))
    assert (first.idempotency_key, first.id) == (again.idempotency_key, again.id)


def test_a_time_that_is_not_rfc3339_stays_in_data_only() -> None:
    [event] = parse(body({**moto_record(), "eventTime": "yesterday"}), EVERYTHING).events
    assert (event.time, event.data["event_time"]) == (None, "yesterday")


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        ({}, ["in/a.csv:Put", "in/b.txt:Put", "out/c.csv:Put", "in/a.csv:Delete"]),
        ({"events": ["s3:ObjectCreated:*"]}, ["in/a.csv:Put", "in/b.txt:Put", "out/c.csv:Put"]),
        ({"events": ["ObjectRemoved:Delete"]}, ["in/a.csv:Delete"]),
        ({"events": ["*"]}, ["in/a.csv:Put", "in/b.txt:Put", "out/c.csv:Put", "in/a.csv:Delete"]),
        ({"prefix": "in/"}, ["in/a.csv:Put", "in/b.txt:Put", "in/a.csv:Delete"]),
        ({"suffix": ".csv", "events": ["ObjectCreated:Put"]}, ["in/a.csv:Put", "out/c.csv:Put"]),
        ({"bucket": "other"}, []),
        ({"bucket": "bk1", "prefix": "in/", "suffix": ".csv"}, ["in/a.csv:Put", "in/a.csv:Delete"]),
    ],
)
def test_trigger_filters_on_decoded_keys_and_event_names(
    options: dict[str, Any], kept: list[str]
) -> None:
    records = [
        moto_record("s3:ObjectCreated:Put", "in%2Fa.csv"),  # the s3: prefix on the record side
        moto_record("ObjectCreated:Put", "in%2Fb.txt"),
        moto_record("ObjectCreated:Put", "out%2Fc.csv"),
        moto_record("ObjectRemoved:Delete", "in%2Fa.csv"),
    ]
    parsed = parse(body(*records), RecordFilter.of(trigger(**options)))
    names = [f"{e.subject}:{e.data['event_name'].partition(':')[2]}" for e in parsed.events]
    assert names == kept
    assert parsed.filtered == len(records) - len(kept)


def test_invalid_event_carries_the_body_and_the_reason() -> None:
    url = "http://127.0.0.1:5000/123456789012/uploads"
    event = unparsed_event("not json", "the body is not JSON", url, "m-1")
    assert event.type == INVALID_TYPE
    assert (event.source, event.subject, event.idempotency_key) == (url, "m-1", "sqs:uploads:m-1")
    assert event.data == {
        "reason": "the body is not JSON",
        "queue_url": url,
        "message_id": "m-1",
        "body": "not json",
    }
    assert event.extensions == {"triggerhuberror": "the body is not JSON"}
