"""The `amqp` destination: a finished invocation's record published to an exchange as a
persistent JSON message, confirmed by the broker before it counts as delivered.

Its model is validated where the triggers file names it; the deliverer is loaded on the first
delivery and only then imports aio-pika. One connection per URL (per event loop) is kept and
replaced when it has closed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import orjson
import structlog
from pydantic import Field

from hub import clock
from hub.config.base import Strict
from hub.config.durations import Duration
from hub.destinations.clients import ClientCache
from hub.status import Condition
from hub.telemetry.context import TRACEPARENT, current_traceparent
from triggers.amqp.urls import AMQP_URL_PATTERN, mask_url, scrub

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


class AmqpDestination(Strict):
    type: Literal["amqp"] = "amqp"
    url: str = Field(
        pattern=AMQP_URL_PATTERN,
        description="amqp://user:password@host:port/vhost; the password is masked in logs.",
    )
    exchange: str = Field(
        "", description="Exchange to publish to; '' is the default exchange (routing_key = queue)."
    )
    routing_key: str = Field("", description="Routing key of every record published.")
    mandatory: bool = Field(
        True, description="An unroutable record (no queue bound) is a failed delivery, retried."
    )
    timeout: Duration = Field(10.0, gt=0, description="For connecting and the broker's confirm.")


async def deliver_amqp(
    config: AmqpDestination, record: bytes, _session: aiohttp.ClientSession
) -> str:
    url, exchange_name, routing_key = config.url, config.exchange, config.routing_key
    try:
        async with asyncio.timeout(config.timeout):
            publisher = await _publishers.get(url)
            await _publish(publisher, record, config)
    except Exception as exc:
        # The caller records this text on the invocation: no URL, no password in it.
        raise RuntimeError(scrub(f"AMQP publish failed: {exc!r}", url)) from None
    return f"amqp {mask_url(url)} exchange {exchange_name or '(default)'} key {routing_key}"


def _headers(context: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, Any] = {"x-triggerhub-function": context.get("function")}
    traceparent = current_traceparent.get()
    if traceparent is not None:  # the delivery's trace context, when tracing
        headers[TRACEPARENT] = traceparent
    return headers


async def _publish(publisher: _Publisher, record: bytes, config: AmqpDestination) -> None:
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
        headers=_headers(context),
    )
    if config.exchange:
        exchange = await publisher.channel.get_exchange(config.exchange, ensure=False)
    else:
        exchange = publisher.channel.default_exchange
    # With publisher confirms the await returns once the broker has the message (persisted, for
    # a durable queue); mandatory makes an unroutable record an error instead of a silent drop.
    await exchange.publish(message, routing_key=config.routing_key, mandatory=config.mandatory)


def _record_context(record: bytes) -> dict[str, Any]:
    try:
        context = orjson.loads(record).get("request_context")
    except (orjson.JSONDecodeError, AttributeError):
        return {}
    return context if isinstance(context, dict) else {}


def _slot(context: dict[str, Any]) -> str:
    return "on_success" if context.get("condition") == Condition.SUCCESS else "on_failure"


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
    log.info("amqp destination connected", url=mask_url(url))
    return _Publisher(connection, channel)


async def _close(publisher: _Publisher) -> None:
    await publisher.connection.close()


_publishers: ClientCache[_Publisher] = ClientCache(
    "amqp destination connection", _open, lambda publisher: publisher.usable, _close
)


async def close_publishers() -> None:
    """Close this event loop's destination connections (on shutdown, and between tests)."""
    await _publishers.close_all()
