"""One Kafka record → one CloudEvent. Pure: no broker, no clock, no I/O.

A record that cannot become the event it claims to be (value over `max_payload_bytes`, or a
value whose `content-type` header says JSON but is not) still becomes an invalid event (see
hub.plugins), of type `triggerhub.kafka.invalid`, carrying the first `max_payload_bytes` bytes:
it is queued and committed like any other, so its partition moves on, and goes to on_failure."""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from hub.events import Event, WireEvent
from hub.plugins.events import JSON, OCTET_STREAM, invalid_event, mark_invalid, wire_form

RECORD_TYPE = "triggerhub.kafka.record"
INVALID_TYPE = "triggerhub.kafka.invalid"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """What the broker returned, without the client library's types."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None = None
    timestamp_ms: int | None = None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)


def idempotency_key(topic: str, partition: int, offset: int) -> str:
    return f"kafka:{topic}:{partition}:{offset}"


def ordering_key(raw: RawRecord, ordering: str) -> str | None:
    """The engine runs one invocation at a time per ordering key, in submission order."""
    if ordering == "partition":
        return f"{raw.topic}/{raw.partition}"
    if ordering == "key" and raw.key is not None:
        return f"{raw.topic}/{text_or_base64(raw.key)}"
    return None


class PartitionEvents:
    """The events of one partition's records. What every record of it shares (source, subject
    and key prefixes, the ordering) is made once, so that a read of thousands of records costs
    little more per record than the event itself."""

    __slots__ = (
        "_key",
        "_limit",
        "_ordering",
        "_partition_order",
        "_source",
        "_subject",
        "partition",
        "topic",
    )

    def __init__(
        self, topic: str, partition: int, max_payload_bytes: int, ordering: str = "none"
    ) -> None:
        self.topic, self.partition = topic, partition
        self._source = f"kafka://{topic}"
        self._subject = f"{topic}/{partition}/"
        self._key = f"kafka:{topic}:{partition}:"
        self._limit = max_payload_bytes
        self._ordering = ordering
        self._partition_order = f"{topic}/{partition}" if ordering == "partition" else None

    def event(
        self,
        offset: int,
        value: bytes | None,
        key: bytes | None = None,
        timestamp_ms: int | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> Event:
        """The record's event; an invalid one when the value is not what it claims to be."""
        topic = self.topic
        extensions: dict[str, Any] = {
            "kafkatopic": topic,
            "kafkapartition": self.partition,
            "kafkaoffset": offset,
        }
        ordering = self._partition_order
        if key is not None:
            extensions["kafkakey"] = key_text = text_or_base64(key)
            if self._ordering == "key":
                ordering = f"{topic}/{key_text}"
        if timestamp_ms is not None:
            extensions["kafkatimestamp"] = timestamp_ms
        if headers:
            extensions["kafkaheaders"] = {name: text_or_base64(v or b"") for name, v in headers}
        event = Event(
            type=RECORD_TYPE,
            source=self._source,
            subject=f"{self._subject}{offset}",
            time=None if timestamp_ms is None else record_time(timestamp_ms),
            extensions=extensions,
            idempotency_key=f"{self._key}{offset}",
            ordering_key=ordering,
        )
        if value is None:
            return event
        if len(value) > self._limit:
            reason = f"value of {len(value)} bytes is over max_payload_bytes ({self._limit})"
            return self._invalid(event, value, reason)
        try:
            event.data = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            if headers and _says_json(headers):
                reason = f"content-type says JSON but the value is not: {exc}"
                return self._invalid(event, value, reason)
            event.data, event.datacontenttype = value, OCTET_STREAM
        else:
            event.datacontenttype = JSON
        return event

    def wire(
        self,
        offset: int,
        value: bytes | None,
        key: bytes | None = None,
        timestamp_ms: int | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> Event | WireEvent:
        """The record's event in its wire form, written once, or the event for intake to check
        (see hub.plugins.wire_form)."""
        event = self.event(offset, value, key, timestamp_ms, headers)
        if value is None or not isinstance(event.data, dict | list):
            return wire_form(event, 0)
        return wire_form(event, value.count(b"[") + value.count(b"{"))

    def _invalid(self, event: Event, value: bytes, reason: str) -> Event:
        event.type = INVALID_TYPE
        event.data = value[: self._limit]
        event.datacontenttype = OCTET_STREAM
        event.extensions["kafkavaluesize"] = len(value)
        return mark_invalid(event, reason)


def parse(raw: RawRecord, max_payload_bytes: int, ordering: str = "none") -> Event:
    return PartitionEvents(raw.topic, raw.partition, max_payload_bytes, ordering).event(
        raw.offset, raw.value, raw.key, raw.timestamp_ms, raw.headers
    )


@functools.lru_cache(maxsize=256)
def _second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat()


def record_time(timestamp_ms: int) -> str:
    """A record's timestamp (ms since the epoch) as RFC 3339 with microseconds, as
    hub.timefmt writes times; the records of one read mostly share their second."""
    seconds, ms = divmod(timestamp_ms, 1000)
    return f"{_second(seconds)}.{ms:03d}000Z"


def unparsed_event(
    raw: RawRecord, max_payload_bytes: int, reason: str, ordering: str = "none"
) -> Event:
    """For a record that made parse() itself fail: the least that can be built from it."""
    value = raw.value or b""
    return invalid_event(
        type=INVALID_TYPE,
        source=f"kafka://{raw.topic}",
        reason=reason,
        subject=f"{raw.topic}/{raw.partition}/{raw.offset}",
        data=value[:max_payload_bytes],
        extensions={"kafkavaluesize": len(value)},
        idempotency_key=idempotency_key(raw.topic, raw.partition, raw.offset),
        ordering_key=ordering_key(raw, ordering),
    )


def text_or_base64(value: bytes) -> str:
    """UTF-8 text as is; anything else as `base64:<b64>` so the two cannot be confused."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(value).decode("ascii")
    return (
        "base64:" + base64.b64encode(value).decode("ascii") if text.startswith("base64:") else text
    )


def _says_json(headers: Sequence[tuple[str, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == "content-type" and (value or b"").split(b";")[0].strip().endswith(
            b"json"
        ):
            return True
    return False
