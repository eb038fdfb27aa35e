"""aio-pika's delivered message → the library-free RawMessage that parse() reads."""

from __future__ import annotations

from aio_pika.abc import AbstractIncomingMessage

from triggers.amqp.ledger import NackLedger, message_key
from triggers.amqp.parse import NO_HEADERS, RawMessage

DELIVERY_COUNT = "x-delivery-count"


def to_raw(message: AbstractIncomingMessage, ledger: NackLedger, received_at: float) -> RawMessage:
    headers = message.headers or NO_HEADERS
    return RawMessage(
        body=message.body,
        exchange=message.exchange or "",
        routing_key=message.routing_key or "",
        received_at=received_at,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        headers=headers,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id=message.app_id,
        redelivered=bool(message.redelivered),
        failed_deliveries=_failed(message, headers.get(DELIVERY_COUNT), ledger),
    )


def _failed(message: AbstractIncomingMessage, count: object, ledger: NackLedger) -> int | None:
    if not isinstance(count, int) or isinstance(count, bool):
        return None  # a classic queue: the broker does not count deliveries
    if count == 0 or not len(ledger):
        return count
    return max(0, count - ledger.count(key_of(message)))


def key_of(message: AbstractIncomingMessage) -> str:
    return message_key(message.message_id, message.routing_key or "", message.body)
