"""One Kafka record → one CloudEvent. Pure: no broker,
no clock, no I/O.

A record that cannot become the event it claims to be (value over `max_payload_bytes`, or a
value whose `content-type` header says JSON but is not) still becomes an invalid event (see
hub.plugins), of type `triggerhub.kafka.invalid`, carrying the first `max_payload_bytes` bytes:
it is queued and committed like any other, so its partition moves on, and goes to on_failure."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.events import Event
from hub.plugins.events import OCTET_STREAM, invalid_event, mark_invalid
from hub.timefmt import to_rfc3339

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


def parse(raw: RawRecord, max_payload_bytes: int, ordering: str = "none") -> Event:
    value = raw.value or b""
    problem = _problem(raw, max_payload_bytes)
    event = Event(
        type=RECORD_TYPE if problem is None else INVALID_TYPE,
        source=f"kafka://{raw.topic}",
        subject=f"{raw.topic}/{raw.partition}/{raw.offset}",
        time=to_rfc3339(raw.timestamp_ms / 1000) if raw.timestamp_ms is not None else None,
        extensions=extensions(raw),
        idempotency_key=idempotency_key(raw.topic, raw.partition, raw.offset),
        ordering_key=ordering_key(raw, ordering),
    )
    if problem is not None:
        event.data = value[:max_payload_bytes]
        event.datacontenttype = OCTET_STREAM
        event.extensions["kafkavaluesize"] = len(value)
        mark_invalid(event, problem)
    elif raw.value is not None:
        event.data, event.datacontenttype = _data(value)
    return event


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


def extensions(raw: RawRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kafkatopic": raw.topic,
        "kafkapartition": raw.partition,
        "kafkaoffset": raw.offset,
    }
    if raw.key is not None:
        out["kafkakey"] = text_or_base64(raw.key)
    if raw.timestamp_ms is not None:
        out["kafkatimestamp"] = raw.timestamp_ms
    if raw.headers:
        out["kafkaheaders"] = {name: text_or_base64(value or b"") for name, value in raw.headers}
    return out


def text_or_base64(value: bytes) -> str:
    """UTF-8 text as is; anything else as `base64:<b64>` so the two cannot be confused."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(value).decode("ascii")
    return (
        "base64:" + base64.b64encode(value).decode("ascii") if text.startswith("base64:") else text
    )


def _data(value: bytes) -> tuple[Any, str]:
    try:
        return orjson.loads(value), "application/json"
    except orjson.JSONDecodeError:
        return value, OCTET_STREAM


def _problem(raw: RawRecord, max_payload_bytes: int) -> str | None:
    size = len(raw.value or b"")
    if size > max_payload_bytes:
        return f"value of {size} bytes is over max_payload_bytes ({max_payload_bytes})"
    if raw.value is not None and _says_json(raw.headers):
        try:
            orjson.loads(raw.value)
        except orjson.JSONDecodeError as exc:
            return f"content-type says JSON but the value is not: {exc}"
    return None


def _says_json(headers: Sequence[tuple[str, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == "content-type" and (value or b"").split(b";")[0].strip().endswith(
            b"json"
        ):
            return True
    return False
