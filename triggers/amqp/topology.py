"""Declare what the trigger reads from: the queue, the exchange and the bindings between them.

Run on every connect, so a broker that lost them (a non-durable exchange, a restarted node
without its data) gets them back. Bindings are only ever added: a key removed from the config
stays bound on a durable queue until it is unbound by hand (AMQP cannot list bindings)."""

from __future__ import annotations

from typing import Any

from aio_pika.abc import AbstractChannel, AbstractQueue

from triggers.amqp.config import AmqpTriggerConfig


async def declare(channel: AbstractChannel, config: AmqpTriggerConfig, name: str) -> AbstractQueue:
    arguments: dict[str, Any] = dict(config.queue.arguments)
    if config.queue.quorum:
        arguments["x-queue-type"] = "quorum"
    queue = await channel.declare_queue(
        name, durable=config.queue.durable, arguments=arguments or None
    )
    if config.exchange is None:
        return queue
    exchange = await channel.declare_exchange(
        config.exchange.name, config.exchange.type, durable=config.exchange.durable
    )
    for routing_key, binding in config.bindings():
        binding_arguments: dict[str, Any] | None = dict(binding) if binding else None
        await queue.bind(exchange, routing_key=routing_key, arguments=binding_arguments)
    return queue
