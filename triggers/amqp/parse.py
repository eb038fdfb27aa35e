"""One delivered AMQP message → one CloudEvent. Pure: no broker, no clock, no I/O.

A message that cannot become the event it claims to be (body over `max_payload_bytes`, a JSON
content type with a body that is not JSON, or a message the broker keeps redelivering) still
becomes an invalid event (see hub.plugins), of type `triggerhub.amqp.invalid`, carrying the raw
body: it is queued and acked like any other, so it is never dropped and never cycles back
through the queue."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from hub.events import Event, WireEvent
from hub.ids import new_id
from hub.plugins.events import OCTET_STREAM, invalid_event, mark_invalid, wire_form
from hub.timefmt import to_rfc3339
from triggers.amqp.headers import json_safe, publisher_headers
from triggers.amqp.urls import event_source

MESSAGE_TYPE = "triggerhub.amqp.message"
INVALID_TYPE = "triggerhub.amqp.invalid"
PLAIN_ENCODINGS = frozenset({"", "identity", "utf-8", "utf8"})
NO_HEADERS: Mapping[str, Any] = MappingProxyType({})


class RawMessage(NamedTuple):
    """What the broker delivered, without the client library's types. A tuple: one is made
    per message, thousands a second."""

    body: bytes
    exchange: str
    routing_key: str
    received_at: float
    content_type: str | None = None
    content_encoding: str | None = None
    headers: Mapping[str, Any] = NO_HEADERS
    message_id: str | None = None
    correlation_id: str | None = None
    timestamp: datetime | None = None
    type: str | None = None
    app_id: str | None = None
    redelivered: bool = False
    # Deliveries the broker counted (quorum queues' x-delivery-count) that ended without the
    # message being queued, our own nacks excluded; None where the broker does not count.
    failed_deliveries: int | None = None


@dataclass(frozen=True, slots=True)
class ParseSpec:
    broker: str  # amqp://host[:port]/<vhost>, see urls.broker_base
    queue: str
    max_payload_bytes: int = 1024 * 1024
    max_deliveries: int = 10
    key_from_content: bool = False


class InvalidBody(ValueError):
    """The body contradicts its own content type."""


def parse(raw: RawMessage, spec: ParseSpec) -> Event:
    digest = content_digest(raw) if spec.key_from_content and not raw.message_id else None
    event = Event(
        id=raw.message_id or digest or new_id(raw.received_at),
        type=raw.type or MESSAGE_TYPE,
        source=_source(spec.broker, raw.exchange),
        subject=raw.routing_key or None,
        time=_time(raw.timestamp.timestamp() if raw.timestamp else raw.received_at),
        extensions=extensions(raw),
        idempotency_key=idempotency_key(spec.queue, raw.message_id, digest),
    )
    reason = _refusal(raw, spec)
    if reason is None:
        try:
            event.data, event.datacontenttype = decode_body(raw)
        except InvalidBody as exc:
            reason = str(exc)
    if reason is not None:
        _make_invalid(event, raw, spec, reason)
    return event


def wire(raw: RawMessage, spec: ParseSpec) -> Event | WireEvent:
    """The message's event in its wire form, written once, or the event for intake to check
    (see hub.plugins.wire_form)."""
    event = parse(raw, spec)
    headers = raw.headers
    if headers and not all(isinstance(v, _FLAT) for v in headers.values()):
        return event  # nested tables: their depth is not known without a walk
    if isinstance(event.data, dict | list):
        return wire_form(event, raw.body.count(b"[") + raw.body.count(b"{"))
    return wire_form(event, 0)


_FLAT = (str, bytes, int, float, bool, Decimal, datetime, type(None))
# The messages of one read share their received time, those of one publisher their exchange.
_source = functools.lru_cache(maxsize=64)(event_source)
_time = functools.lru_cache(maxsize=64)(to_rfc3339)


def _refusal(raw: RawMessage, spec: ParseSpec) -> str | None:
    failed = raw.failed_deliveries
    if failed is not None and failed >= spec.max_deliveries:
        return (
            f"the broker delivered this message {failed} times without it being queued "
            f"(max_deliveries {spec.max_deliveries}); it may crash the daemon"
        )
    size, limit = len(raw.body), spec.max_payload_bytes
    if size > limit:
        return (
            f"body is {size} bytes, over max_payload_bytes ({limit}); "
            f"only its first {limit} bytes are kept"
        )
    return None


def _make_invalid(event: Event, raw: RawMessage, spec: ParseSpec, reason: str) -> None:
    event.type = INVALID_TYPE
    event.data = raw.body[: spec.max_payload_bytes]
    event.datacontenttype = raw.content_type or OCTET_STREAM
    event.extensions["amqpbodysize"] = len(raw.body)
    if raw.type:
        event.extensions["amqptype"] = raw.type
    mark_invalid(event, reason)


def decode_body(raw: RawMessage) -> tuple[Any, str | None]:
    """(data, datacontenttype): JSON when the content type says JSON or says nothing and the
    body parses; otherwise the bytes themselves (carried as data_base64)."""
    if not raw.body:
        return None, raw.content_type
    encoding = (raw.content_encoding or "").lower()
    if encoding not in PLAIN_ENCODINGS:  # compressed or otherwise encoded: hand it on as is
        return raw.body, raw.content_type or OCTET_STREAM
    media = media_type(raw.content_type)
    if media is not None and not is_json(media):
        return raw.body, raw.content_type
    try:
        return orjson.loads(raw.body), raw.content_type or "application/json"
    except orjson.JSONDecodeError as exc:
        if media is None:
            return raw.body, OCTET_STREAM
        raise InvalidBody(
            f"body is not valid JSON although its content type is {raw.content_type}: {exc}"
        ) from None


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.partition(";")[0].strip().lower() or None


def is_json(media: str) -> bool:
    return media in ("application/json", "text/json") or media.endswith("+json")


def extensions(raw: RawMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"amqpexchange": raw.exchange, "amqproutingkey": raw.routing_key}
    if raw.message_id is not None:
        out["amqpmessageid"] = raw.message_id
    if raw.correlation_id is not None:
        out["amqpcorrelationid"] = raw.correlation_id
    if raw.timestamp:
        out["amqptimestamp"] = _time(raw.timestamp.timestamp())
    if raw.app_id is not None:
        out["amqpappid"] = raw.app_id
    if raw.content_encoding is not None:
        out["amqpcontentencoding"] = raw.content_encoding
    if raw.headers:
        out["amqpheaders"] = json_safe(raw.headers)
    if raw.redelivered:
        out["amqpredelivered"] = True
    return out


def idempotency_key(queue: str, message_id: str | None, digest: str | None) -> str | None:
    if message_id:
        return f"amqp:{queue}:{message_id}"
    if digest:
        return f"amqp:{queue}:sha256:{digest}"
    return None


def content_digest(raw: RawMessage) -> str:
    """What the publisher sent, hashed: the same message published twice hashes the same, a
    redelivery too (broker-added headers such as x-delivery-count are left out)."""
    envelope = orjson.dumps(
        [
            raw.exchange,
            raw.routing_key,
            raw.content_type,
            raw.content_encoding,
            raw.correlation_id,
            raw.type,
            raw.app_id,
            raw.timestamp.timestamp() if raw.timestamp else None,
            json_safe(publisher_headers(raw.headers)),
        ],
        option=orjson.OPT_SORT_KEYS,
    )
    digest = hashlib.sha256(envelope)
    digest.update(b"\0")
    digest.update(raw.body)
    return digest.hexdigest()[:32]


def unparsed_event(raw: RawMessage, spec: ParseSpec, reason: str) -> Event:
    """The invalid event for a message that made parse() itself fail: the least that can be
    built from it, so that even a parser bug never drops a message or stalls the queue."""
    return invalid_event(
        type=INVALID_TYPE,
        source=event_source(spec.broker, raw.exchange),
        reason=reason,
        subject=raw.routing_key or None,
        data=raw.body[: spec.max_payload_bytes],
        extensions={"amqpbodysize": len(raw.body)},
        idempotency_key=idempotency_key(spec.queue, raw.message_id, None),
    )
