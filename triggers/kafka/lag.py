"""Lag of every assigned partition, known from the moment it is assigned.

What the consumer learns by itself (the high watermark of a fetch, the offset after the records
handed out) exists only for partitions that have fetched records since the start. So on each
assignment, and then at most every REFRESH_EVERY seconds while the status is read, the source
asks the broker for the end offset of every assigned partition and for the group's committed
offset of those it has handed nothing out from (or, for a partition the group never committed,
where `start` puts it). The figures shown take the newest of both: a paused partition, which
fetches nothing, still shows records produced since."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from structlog.typing import FilteringBoundLogger

from hub.plugins import Supervisor
from triggers.kafka.offsets import Partition

REFRESH_EVERY = 5.0
REFRESH_TIMEOUT = 10.0
REFRESH_TASK = "kafka-lag-refresh"


class PartitionLag:
    def __init__(
        self, start: str, start_ms: int | None, log: FilteringBoundLogger, loops: Supervisor
    ) -> None:
        self._log = log
        self._loops = loops
        self._start = start
        self._start_ms = start_ms
        self._end: dict[Partition, int] = {}  # from the broker's end offsets
        self._base: dict[Partition, int] = {}  # where reading resumes, before any record
        self._refreshed = -float("inf")
        self._task: asyncio.Task[None] | None = None

    def figures(
        self,
        consumer: AIOKafkaConsumer,
        handed_out: Callable[[Partition], int | None],
    ) -> dict[Partition, int]:
        """Records behind the end, per assigned partition whose figures are known; starts a
        refresh in the background when they are stale."""
        assigned = consumer.assignment()
        if time.monotonic() - self._refreshed > REFRESH_EVERY:
            self.refresh(consumer, handed_out)
        out: dict[Partition, int] = {}
        for tp in assigned:
            part = (tp.topic, tp.partition)
            ends = [e for e in (consumer.highwater(tp), self._end.get(part)) if e is not None]
            position = handed_out(part)
            if position is None:
                position = self._base.get(part)
            if ends and position is not None:
                out[part] = max(0, max(ends) - position)
        return out

    def refresh(
        self,
        consumer: AIOKafkaConsumer,
        handed_out: Callable[[Partition], int | None],
        *,
        assigned: bool = False,
    ) -> None:
        """Ask the broker again, in the background (never in a rebalance callback's way); a
        new assignment replaces a refresh under way, which asked about the old one."""
        if self._task is not None and not self._task.done():
            if not assigned:
                return
            self._task.cancel()
        self._refreshed = time.monotonic()
        self._task = self._loops.spawn(REFRESH_TASK, lambda: self._refresh(consumer, handed_out))

    def forget(self, parts: Iterable[Partition]) -> None:
        for part in parts:
            self._end.pop(part, None)
            self._base.pop(part, None)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _refresh(
        self, consumer: AIOKafkaConsumer, handed_out: Callable[[Partition], int | None]
    ) -> None:
        tps = list(consumer.assignment())
        if not tps:
            return
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT):
                ends = await consumer.end_offsets(tps)
                fresh = [tp for tp in tps if handed_out((tp.topic, tp.partition)) is None]
                bases = await self._bases(consumer, fresh, ends)
        except Exception as exc:
            # Lag is for the operator: a broker that cannot answer now is asked again later.
            self._log.debug("kafka lag refresh failed", error=repr(exc))
            return
        owned = set(consumer.assignment())
        for tp, end in ends.items():
            if tp in owned:
                self._end[(tp.topic, tp.partition)] = end
        for tp, base in bases.items():
            if tp in owned:
                self._base[(tp.topic, tp.partition)] = base

    async def _bases(
        self,
        consumer: AIOKafkaConsumer,
        tps: list[TopicPartition],
        ends: Mapping[TopicPartition, int],
    ) -> dict[TopicPartition, int]:
        """The group's committed offset; for a partition it never committed, where `start`
        begins reading it."""
        bases: dict[TopicPartition, int] = {}
        never: list[TopicPartition] = []
        for tp in tps:
            committed = await consumer.committed(tp)
            if committed is None:
                never.append(tp)
            else:
                bases[tp] = committed
        if not never:
            return bases
        if self._start == "earliest":
            bases.update(await consumer.beginning_offsets(never))
        elif self._start_ms is not None:
            found = await consumer.offsets_for_times({tp: self._start_ms for tp in never})
            for tp in never:
                hit = found.get(tp)
                bases[tp] = ends[tp] if hit is None else hit.offset
        else:  # latest
            bases.update({tp: ends[tp] for tp in never})
        return bases
