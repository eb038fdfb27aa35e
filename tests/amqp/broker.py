"""Test-side broker access with plain aio-pika: declare, publish with confirms, read back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from tests.servers.rabbitmq import Vhost

PUBLISH_CONCURRENCY = 500


@asynccontextmanager
async def channel(url: str) -> AsyncIterator[AbstractChannel]:
    async with await aio_pika.connect(url) as connection:
        yield await connection.channel(publisher_confirms=True)


def message(body: bytes, **properties: Any) -> aio_pika.Message:
    properties.setdefault("delivery_mode", aio_pika.DeliveryMode.PERSISTENT)
    return aio_pika.Message(body, **properties)


async def publish(
    url: str, exchange: str, messages: Sequence[tuple[str, aio_pika.Message]]
) -> None:
    """Publish and wait for every confirm, many in flight at once (`exchange` '' = default)."""
    async with channel(url) as ch:
        target = await ch.get_exchange(exchange) if exchange else ch.default_exchange
        for start in range(0, len(messages), PUBLISH_CONCURRENCY):
            chunk = messages[start : start + PUBLISH_CONCURRENCY]
            await asyncio.gather(*(target.publish(m, routing_key=key) for key, m in chunk))


async def declare_bound_queue(
    url: str, exchange: str, queue: str, keys: Sequence[str], kind: str = "topic", **queue_kw: Any
) -> None:
    async with channel(url) as ch:
        ex = await ch.declare_exchange(exchange, kind, durable=True)
        q = await ch.declare_queue(queue, durable=True, **queue_kw)
        for key in keys:
            await q.bind(ex, routing_key=key)


async def take(url: str, queue: str, count: int, timeout: float = 20.0) -> list[Any]:
    """Consume `count` messages from an existing queue and ack them."""
    got: list[AbstractIncomingMessage] = []
    async with channel(url) as ch:
        q = await ch.get_queue(queue, ensure=True)
        async with asyncio.timeout(timeout), q.iterator() as messages:
            async for incoming in messages:
                await incoming.ack()
                got.append(incoming)
                if len(got) >= count:
                    break
    return got


def queue_depth(vhost: Vhost, queue: str) -> int:
    """Ready plus unacknowledged messages, as the broker counts them (blocking: rabbitmqctl)."""
    out = vhost.server.ctl(
        "list_queues", "-p", vhost.name, "--no-table-headers", "-q", "name", "messages"
    )
    for line in out.splitlines():
        name, _, count = line.rpartition("\t")
        if name == queue:
            return int(count)
    raise LookupError(f"no queue {queue!r} in vhost {vhost.name}")


async def publish_through_outages(
    url: str, exchange: str, messages: Sequence[tuple[str, aio_pika.Message]], pace: float
) -> None:
    """Publish in order, one every `pace` seconds, riding out a broker outage: whatever was not
    confirmed is published again (a repeat, if the broker had it after all, has the same id)."""
    sent = 0
    while sent < len(messages):
        try:
            async with channel(url) as ch:
                target = await ch.get_exchange(exchange)
                while sent < len(messages):
                    key, outgoing = messages[sent]
                    await target.publish(outgoing, routing_key=key)
                    sent += 1
                    await asyncio.sleep(pace)
        except Exception:  # the broker is going or gone: connect again until it is back
            await asyncio.sleep(0.2)
