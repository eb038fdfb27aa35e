"""The `kafka` destination: a finished invocation's record published to a topic with
acks="all"; a failed publish raises, so the outbox retries it and records the error.

Registered in hub.destinations.deliver.DELIVERERS by this package's __init__; aiokafka is
imported on the first delivery only. One producer per bootstrap string (per event loop) is
kept and replaced when it has failed or closed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import structlog

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer

log = structlog.get_logger("triggers.kafka.destination")


@dataclass(slots=True)
class _LoopProducers:
    """A producer belongs to the event loop that started it (each test runs its own loop)."""

    by_bootstrap: dict[str, AIOKafkaProducer] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


_loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopProducers] = WeakKeyDictionary()


async def deliver_kafka(spec: dict[str, Any], record: bytes, _session: object) -> str:
    bootstrap: str = spec["bootstrap_servers"]
    topic: str = spec["topic"]
    key: str | None = spec.get("key")
    try:
        async with asyncio.timeout(spec.get("timeout", 10.0)):
            producer = await _producer(bootstrap)
            sent = await producer.send_and_wait(
                topic, record, key=key.encode() if key is not None else None
            )
    except Exception as exc:
        await _drop(bootstrap)  # a producer in an unknown state is not reused
        raise RuntimeError(f"Kafka publish to {topic} failed: {exc!r}") from None
    return f"kafka {bootstrap} {topic}[{sent.partition}]@{sent.offset}"


async def _producer(bootstrap: str) -> AIOKafkaProducer:
    mine = _loops.setdefault(asyncio.get_running_loop(), _LoopProducers())
    current = mine.by_bootstrap.get(bootstrap)
    if current is not None and not current._closed:
        return current
    async with mine.locks.setdefault(bootstrap, asyncio.Lock()):  # one start, however many wait
        current = mine.by_bootstrap.get(bootstrap)
        if current is not None and not current._closed:
            return current
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", client_id="triggerhub-destinations"
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        mine.by_bootstrap[bootstrap] = producer
        log.info("kafka destination connected", bootstrap=bootstrap)
        return producer


async def _drop(bootstrap: str) -> None:
    mine = _loops.get(asyncio.get_running_loop())
    producer = mine.by_bootstrap.pop(bootstrap, None) if mine is not None else None
    if producer is not None:
        await _stop(producer)


async def _stop(producer: AIOKafkaProducer) -> None:
    try:
        await producer.stop()
    except Exception as exc:
        log.debug("stopping a kafka destination producer failed", error=repr(exc))


async def close_producers() -> None:
    """Stop this event loop's destination producers (on shutdown, and between tests)."""
    mine = _loops.pop(asyncio.get_running_loop(), None)
    if mine is not None:
        for producer in mine.by_bootstrap.values():
            await _stop(producer)
