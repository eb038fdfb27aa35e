"""The `kafka` destination: a finished invocation's record published to a topic with
acks="all"; a failed publish raises, so the outbox retries it and records the error.

Its model is validated where the triggers file names it; the deliverer is loaded on the first
delivery and only then imports aiokafka. One producer per bootstrap string (per event loop) is
kept and replaced when it has failed or closed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

import aiohttp
import structlog
from pydantic import Field

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.destinations.clients import ClientCache
from hub.telemetry.context import TRACEPARENT, current_traceparent

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer

log = structlog.get_logger("triggers.kafka.destination")


class KafkaDestination(Strict):
    type: Literal["kafka"] = "kafka"
    bootstrap_servers: str = Field(min_length=1, description="host:port[,host:port…].")
    topic: str = Field(min_length=1, description="Topic each record is published to (acks=all).")
    key: str | None = Field(None, description="Key of every record published; none: no key.")
    timeout: Duration = Field(10.0, gt=0, description="For connecting and the acknowledgement.")


async def deliver_kafka(
    config: KafkaDestination, record: bytes, _session: aiohttp.ClientSession
) -> str:
    bootstrap, topic, key = config.bootstrap_servers, config.topic, config.key
    try:
        async with asyncio.timeout(config.timeout):
            producer = await _producers.get(bootstrap)
            sent = await producer.send_and_wait(
                topic, record, key=key.encode() if key is not None else None, headers=_headers()
            )
    except Exception as exc:
        await _producers.drop(bootstrap)  # a producer in an unknown state is not reused
        raise RuntimeError(f"Kafka publish to {topic} failed: {exc!r}") from None
    return f"kafka {bootstrap} {topic}[{sent.partition}]@{sent.offset}"


def _headers() -> list[tuple[str, bytes]] | None:
    """The delivery's trace context, when tracing, as the W3C `traceparent` header."""
    traceparent = current_traceparent.get()
    return None if traceparent is None else [(TRACEPARENT, traceparent.encode())]


async def _start(bootstrap: str) -> AIOKafkaProducer:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", client_id="triggerhub-destinations"
    )
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    log.info("kafka destination connected", bootstrap=bootstrap)
    return producer


async def _stop(producer: AIOKafkaProducer) -> None:
    await producer.stop()


def _usable(producer: AIOKafkaProducer) -> bool:
    return not producer._closed


_producers: ClientCache[AIOKafkaProducer] = ClientCache(
    "kafka destination producer", _start, _usable, _stop
)


async def close_producers() -> None:
    """Stop this event loop's destination producers (on shutdown, and between tests)."""
    await _producers.close_all()
