"""From a message body to the list of raw records it carries. Pure: no I/O.

A body is one of:
- an S3 notification `{"Records": [...]}` (AWS S3, OBS; MinIO adds `EventName` and `Key`);
- the same wrapped by a topic: SNS `{"Type": "Notification", "Message": "<json>"}` (S3 → SNS
  → SQS with raw delivery off, or an SNS HTTP subscription) or Huawei SMN, which spells the
  fields in lower case (`type`, `message`);
- a control message that carries no object event: the `s3:TestEvent` S3 sends when a
  notification is configured, and SNS/SMN subscription confirmations. These are skipped;
- anything else, which raises NotANotification with the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import orjson

from triggers.object_storage.records import NotANotification

TEST_EVENT = "s3:TestEvent"
TOPIC_NOTIFICATION = "notification"


@dataclass(frozen=True, slots=True)
class Envelope:
    records: Sequence[Any]
    skipped: str | None = None  # why a control message carries no records


def open_envelope(body: bytes | str) -> Envelope:
    doc = _json(body, "the body")
    topic_type = _either(doc, "Type", "type")
    if isinstance(topic_type, str):
        if topic_type.lower() != TOPIC_NOTIFICATION:
            url = _either(doc, "SubscribeURL", "subscribe_url")
            hint = f"; to confirm it, open {url}" if isinstance(url, str) else ""
            return Envelope([], skipped=f"topic {topic_type} message{hint}")
        message = _either(doc, "Message", "message")
        if not isinstance(message, str):
            raise NotANotification("a topic notification without a 'Message' string")
        doc = _json(message, "the topic notification's Message")
    return _records(doc)


def _records(doc: Mapping[str, Any]) -> Envelope:
    if doc.get("Event") == TEST_EVENT:
        return Envelope([], skipped=TEST_EVENT)
    records = doc.get("Records")
    if records is None and isinstance(doc.get("EventName"), str):
        return Envelope([_from_minio_summary(doc)])
    if records == []:
        raise NotANotification("the notification's 'Records' list is empty")
    if not isinstance(records, list):
        keys = ", ".join(sorted(doc)[:8]) or "none"
        raise NotANotification(f"no 'Records' list in the notification (its keys: {keys})")
    return Envelope(records)


def _from_minio_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A MinIO body with only its summary fields (`EventName`, `Key` = `bucket/object`)
    stands for one record; the summary's key is not URL-encoded, so it is encoded here to
    read like a record's (MinIO builds it from the decoded object name)."""
    summary = doc.get("Key")
    bucket, sep, key = summary.partition("/") if isinstance(summary, str) else ("", "", "")
    if not sep or not bucket or not key:
        raise NotANotification("a MinIO notification without Records needs Key 'bucket/object'")
    return {
        "eventName": doc["EventName"],
        "eventSource": "minio:s3",
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="")}},
    }


def _json(text: bytes | str, what: str) -> Mapping[str, Any]:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise NotANotification(f"{what} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise NotANotification(f"{what} is JSON but not an object")
    return doc


def _either(doc: Mapping[str, Any], name: str, lower: str) -> Any:
    return doc[name] if name in doc else doc.get(lower)
