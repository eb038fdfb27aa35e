"""Producing to and reading from the test brokers, and reading the hub's store."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from hub import Hub
from hub.invocation import Invocation
from hub.store.base import InvocationStore, ListQuery


async def produce_many(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes],
    *,
    partitions: int = 1,
    first_partition: int = 0,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Send everything, spread round-robin over `partitions` partitions from
    `first_partition` on, and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic, value, key=key, partition=first_partition + n % partitions, headers=headers
            )
            for n, value in enumerate(values)
        ]
        for future in futures:
            await future
    finally:
        await producer.stop()


async def all_invocations(source: Hub | InvocationStore, function: str = "f") -> list[Invocation]:
    out: list[Invocation] = []
    cursor: str | None = None
    while True:
        page = await source.query(ListQuery(function=function, limit=1000, cursor=cursor))
        out += page.items
        cursor = page.next_cursor
        if cursor is None:
            return out


async def idle(hub: Hub) -> bool:
    """Nothing queued, leased, running or retrying (counts() only counts active ones)."""
    return not await hub.counts()
