"""Notification body → one CloudEvent per wanted object record. Pure: no server, no clock.

The same parse serves the SQS source and the webhook, so both ways in produce identical events
(and identical idempotency keys: a record that arrives by both is invoked once)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from hub.events import Event
from hub.plugins.events import JSON, invalid_event
from hub.timefmt import rfc3339_or_none
from triggers.object_storage.envelope import open_envelope
from triggers.object_storage.filters import RecordFilter
from triggers.object_storage.records import ObjectRecord, read_record

TYPE_PREFIX = "triggerhub.object."
INVALID_TYPE = "triggerhub.object.invalid"


@dataclass(frozen=True, slots=True)
class Parsed:
    events: Sequence[Event]
    filtered: int = 0  # records the trigger's events/prefix/suffix/bucket options dropped
    skipped: str | None = None  # a control message (test event, subscription confirmation)


def parse(body: bytes | str, accept: RecordFilter) -> Parsed:
    """Raises NotANotification (a ValueError) naming what is wrong with the body."""
    envelope = open_envelope(body)
    records = [read_record(raw, f"Records[{i}]") for i, raw in enumerate(envelope.records)]
    kept = [record for record in records if accept(record)]
    return Parsed(
        [to_event(record) for record in kept],
        filtered=len(records) - len(kept),
        skipped=envelope.skipped,
    )


def to_event(record: ObjectRecord) -> Event:
    key = idempotency_key(record)
    return Event(
        id=hashlib.sha256(key.encode()).hexdigest()[:32],  # a redelivery keeps its id
        type=event_type(record.event_name),
        source=f"{_scheme(record)}://{record.bucket}",
        subject=record.key,
        time=rfc3339_or_none(record.event_time),  # data.event_time keeps it as sent
        datacontenttype=JSON,
        data={
            "bucket": record.bucket,
            "key": record.key,
            "size": record.size,
            "etag": record.etag,
            "version_id": record.version_id,
            "sequencer": record.sequencer,
            "event_name": record.event_name,
            "event_time": record.event_time,
            "region": record.region,
            "record": dict(record.raw),
        },
        idempotency_key=key,
    )


def event_type(event_name: str) -> str:
    """ObjectCreated:* → triggerhub.object.created, ObjectRemoved:* → …removed, any other
    family lower-cased without its `Object` prefix (ObjectRestore → …restore,
    LifecycleExpiration → …lifecycleexpiration)."""
    family = event_name.partition(":")[0]
    return TYPE_PREFIX + (family.removeprefix("Object") or family).lower()


def idempotency_key(record: ObjectRecord) -> str:
    """The sequencer orders a key's events, so with the version it names one change. Without
    it (moto, some gateways) the event name, time and ETag stand in: a redelivered message
    carries the very same record, so its key still repeats."""
    head = f"s3:{record.bucket}:{record.key}:{record.version_id or ''}"
    if record.sequencer:
        return f"{head}:{record.sequencer}"
    return f"{head}:{record.event_name}:{record.event_time or ''}:{record.etag or ''}"


def unparsed_event(body: str, reason: str, queue_url: str, message_id: str) -> Event:
    """A message that is not a notification, carried whole to the function (and from there to
    its on_failure destination) instead of being dropped or redelivered forever. SQS bodies
    are always text, so the body travels as a string."""
    data = {"reason": reason, "queue_url": queue_url, "message_id": message_id, "body": body}
    return invalid_event(
        id=message_id,
        type=INVALID_TYPE,
        source=queue_url,
        reason=reason,
        subject=message_id,
        datacontenttype=JSON,
        data=data,
        idempotency_key=f"sqs:{queue_name(queue_url)}:{message_id}",
    )


def queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").rpartition("/")[2]


def _scheme(record: ObjectRecord) -> str:
    return "obs" if (record.event_source or "").lower() == "obs" else "s3"
