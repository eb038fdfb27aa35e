"""The `amqp` destination: a finished invocation's record published to an exchange as a
persistent JSON message, confirmed by the broker before it counts as delivered.

Registered in hub.destinations.deliver.DELIVERERS by this package's __init__; aio-pika is
imported on the first delivery only. One connection per URL (per event loop) is kept and
replaced when it has closed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import orjson
import structlog

from hub import clock
from hub.status import Condition
from triggers.amqp.urls import mask_url, scrub

if TYPE_CHECKING:
    from aio_pika.abc import AbstractChannel, AbstractConnection

log = structlog.get_logger("triggers.amqp.destination")
CONTENT_TYPE = "application/json"


@dataclass(slots=True)
class _Publisher:
    connection: AbstractConnection
    channel: AbstractChannel

    @property
    def usable(self) -> bool:
        return not (self.connection.is_closed or self.channel.is_closed)


@dataclass(slots=True)
class _LoopPublishers:
    """A connection belongs to the event loop that opened it (each test runs its own loop)."""

    by_url: dict[str, _Publisher] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


_loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopPublishers] = WeakKeyDictionary()


async def deliver_amqp(spec: dict[str, Any], record: bytes, _session: object) -> str:
    url: str = spec["url"]
    exchange_name: str = spec.get("exchange", "")
    routing_key: str = spec.get("routing_key", "")
    try:
        async with asyncio.timeout(spec.get("timeout", 10.0)):
            publisher = await _publisher(url)
            await _publish(publisher, record, exchange_name, routing_key, spec)
    except Exception as exc:
        # The caller records this text on the invocation: no URL, no password in it.
        raise RuntimeError(scrub(f"AMQP publish failed: {exc!r}", url)) from None
    return f"amqp {mask_url(url)} exchange {exchange_name or '(default)'} key {routing_key}"


async def _publish(
    publisher: _Publisher, record: bytes, exchange_name: str, routing_key: str, spec: dict[str, Any]
) -> None:
    import aio_pika

    context = _record_context(record)
    slot = _slot(context)
    message = aio_pika.Message(
        record,
        content_type=CONTENT_TYPE,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        # The same id on every retry of this delivery: consumers can drop a repeat.
        message_id=f"{context.get('request_id')}:{slot}",
        type=f"triggerhub.destination.{'success' if slot == 'on_success' else 'failure'}",
        app_id="triggerhub",
        timestamp=clock.now(),
        headers={"x-triggerhub-function": context.get("function")},
    )
    if exchange_name:
        exchange = await publisher.channel.get_exchange(exchange_name, ensure=False)
    else:
        exchange = publisher.channel.default_exchange
    # With publisher confirms the await returns once the broker has the message (persisted, for
    # a durable queue); mandatory makes an unroutable record an error instead of a silent drop.
    await exchange.publish(message, routing_key=routing_key, mandatory=spec.get("mandatory", True))


def _record_context(record: bytes) -> dict[str, Any]:
    try:
        context = orjson.loads(record).get("request_context")
    except (orjson.JSONDecodeError, AttributeError):
        return {}
    return context if isinstance(context, dict) else {}


def _slot(context: dict[str, Any]) -> str:
    return "on_success" if context.get("condition") == Condition.SUCCESS else "on_failure"


async def _publisher(url: str) -> _Publisher:
    mine = _loops.setdefault(asyncio.get_running_loop(), _LoopPublishers())
    current = mine.by_url.get(url)
    if current is not None and current.usable:
        return current
    async with mine.locks.setdefault(url, asyncio.Lock()):  # one connect, however many wait
        current = mine.by_url.get(url)
        if current is not None and current.usable:
            return current
        if current is not None:
            await _close(current)
        mine.by_url[url] = current = await _open(url)
        log.info("amqp destination connected", url=mask_url(url))
        return current


async def _open(url: str) -> _Publisher:
    import aio_pika

    connection = await aio_pika.connect(
        url, client_properties={"connection_name": "triggerhub destinations"}
    )
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    except BaseException:
        await connection.close()
        raise
    return _Publisher(connection, channel)


async def _close(publisher: _Publisher) -> None:
    try:
        await publisher.connection.close()
    except Exception as exc:
        log.debug("closing an amqp destination connection failed", error=repr(exc))


async def close_publishers() -> None:
    """Close this event loop's destination connections (on shutdown, and between tests)."""
    mine = _loops.pop(asyncio.get_running_loop(), None)
    if mine is not None:
        for publisher in mine.by_url.values():
            await _close(publisher)
