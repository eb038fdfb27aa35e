"""What the Kafka source does when the group rebalances: the listener the consumer calls, and
where newly assigned partitions start when the trigger starts at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

if TYPE_CHECKING:
    from triggers.kafka.source import KafkaSource


class RebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, source: KafkaSource) -> None:
        self._source = source

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._source.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._source.on_assigned(assigned)


async def seek_to_time(consumer: AIOKafkaConsumer, tps: Sequence[TopicPartition], ms: int) -> None:
    """Only partitions the group never committed start at the timestamp."""
    fresh = [tp for tp in tps if await consumer.committed(tp) is None]
    if not fresh:
        return
    found = await consumer.offsets_for_times({tp: ms for tp in fresh})
    for tp in fresh:
        hit = found.get(tp)
        if hit is None:
            await consumer.seek_to_end(tp)
        else:
            consumer.seek(tp, hit.offset)
