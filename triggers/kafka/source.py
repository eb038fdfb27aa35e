"""The `kafka` source: a consumer group member with manual commits. A read hands out what
one `getmany` returned; the ack commits `offset + 1` per partition only after the hub has
durably queued the batch; a nack seeks back so the batch is read again. A rebalance commits
what is acked before the partitions go (see offsets.py for why that never skips a record)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from hub.events import Event, WireEvent
from hub.plugins.contract import BackOff, Batch, NotConnected, SourceContext
from triggers.kafka.client import consumer_options
from triggers.kafka.config import KafkaTriggerConfig
from triggers.kafka.lag import PartitionLag
from triggers.kafka.offsets import OffsetTracker, Partition, Span
from triggers.kafka.parse import PartitionEvents, RawRecord, unparsed_event
from triggers.kafka.rebalance import RebalanceListener, seek_to_time

SETTLE_TIMEOUT = 10.0  # how long a revoke waits for the batch being queued
# A commit holds the client's commit lock until the broker answers; some brokers hold the
# answer during a rebalance, which would keep the revoke callback (and the rebalance) waiting.
COMMIT_TIMEOUT = 5.0


class KafkaSource:
    lag_unit = "records"

    def __init__(self, config: KafkaTriggerConfig, context: SourceContext) -> None:
        self._config = config
        self._trigger = context.trigger
        self._loops = context.loops
        self._log = context.log.bind(
            bootstrap=config.bootstrap_servers,
            group=config.group_id,
            topics=config.topics or config.topic_pattern,
        )
        self._offsets = OffsetTracker()
        self._lag = self._new_lag()
        self._consumer: AIOKafkaConsumer | None = None
        self._shapes: dict[TopicPartition, PartitionEvents] = {}
        # A batch (`batching`) mixes record keys: with any ordering, a partition's batches
        # run one at a time, in offset order, so its records are ordered by partition.
        batched = config.batching is not None and config.ordering != "none"
        self._ordering = "partition" if batched else config.ordering

    def _new_lag(self) -> PartitionLag:
        return PartitionLag(self._config.start, self._config.start_ms(), self._log, self._loops)

    async def connect(self) -> None:
        consumer = AIOKafkaConsumer(**consumer_options(self._config, self._trigger))
        listener = RebalanceListener(self)
        if self._config.topics is not None:
            consumer.subscribe(topics=self._config.topics, listener=listener)
        else:
            consumer.subscribe(pattern=self._config.topic_pattern, listener=listener)
        await self._lag.close()  # a reconnect's old refresh, if close() did not run
        # Set before start(): the first assignment's listener calls run inside it.
        self._offsets, self._lag, self._consumer = OffsetTracker(), self._new_lag(), consumer
        try:
            await consumer.start()
        except Exception as exc:
            self._consumer = None
            await consumer.stop()
            raise NotConnected(f"cannot connect: {exc!r}") from None
        self._log.info("kafka consumer started", start=self._config.start)

    async def read(self) -> Batch:
        consumer = self._connected()
        fetched = await consumer.getmany(
            timeout_ms=int(self._config.read_window * 1000), max_records=self._config.read_size
        )
        # A partition's records come in offset order: its span is its first and last.
        span = {
            (tp.topic, tp.partition): (rs[0].offset, rs[-1].offset)
            for tp, rs in fetched.items()
            if rs
        }
        if not span:
            raise BackOff(0.0, "no records")
        self._offsets.handed_out(span)
        return Batch(
            self._events(fetched),
            on_ack=partial(self._ack, span),
            on_nack=partial(self._nack, span),
        )

    def _events(self, fetched: Mapping[TopicPartition, Sequence[Any]]) -> list[Event | WireEvent]:
        events: list[Event | WireEvent] = []
        for tp, records in fetched.items():
            shape = self._shape(tp)
            events.extend([self._wire(shape, record) for record in records])
        return events

    def _shape(self, tp: TopicPartition) -> PartitionEvents:
        shape = self._shapes.get(tp)
        if shape is None:
            config = self._config
            shape = PartitionEvents(
                tp.topic, tp.partition, config.max_payload_bytes, self._ordering
            )
            self._shapes[tp] = shape
        return shape

    def _wire(self, shape: PartitionEvents, record: Any) -> Event | WireEvent:
        try:
            stamp = record.timestamp
            return shape.wire(
                record.offset,
                record.value,
                record.key,
                stamp if stamp is not None and stamp >= 0 else None,
                record.headers,
            )
        except Exception as exc:
            self._log.exception("kafka record could not be parsed", error=repr(exc))
            reason = f"could not be parsed: {exc!r}"
            return unparsed_event(
                _raw(record), self._config.max_payload_bytes, reason, self._ordering
            )

    async def _ack(self, span: Span) -> None:
        self._offsets.acked(span)
        consumer = self._consumer
        if consumer is not None:
            owned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
            await self._commit(consumer, self._offsets.to_commit(p for p in span if p in owned))

    async def _nack(self, span: Span, reason: str) -> None:
        again = self._offsets.nacked(span)
        consumer = self._consumer
        if consumer is not None:
            owned = consumer.assignment()
            for (topic, partition), offset in again.items():
                tp = TopicPartition(topic, partition)
                if tp in owned:
                    consumer.seek(tp, offset)
        self._log.debug("kafka batch will be read again", partitions=len(again), reason=reason)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: Mapping[Partition, int]) -> None:
        if not offsets:
            return
        try:
            async with asyncio.timeout(COMMIT_TIMEOUT):
                await consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})
        except (KafkaError, TimeoutError) as exc:
            # The records are queued: a next owner reading them again is deduplicated by their
            # idempotency keys (same store) or invoked again (at least once), never lost.
            self._log.warning("kafka commit failed", error=repr(exc), partitions=len(offsets))
            return
        self._offsets.committed(offsets)

    async def on_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        tps = list(revoked)
        parts = _parts(tps)
        if not await self._offsets.wait_settled(SETTLE_TIMEOUT):
            self._log.warning("kafka revoke: a batch is still being queued; it will be re-read")
        consumer = self._consumer
        if consumer is not None:
            await self._commit(consumer, self._offsets.to_commit(parts))
        self._offsets.forget(parts)
        self._lag.forget(parts)
        for tp in tps:
            self._shapes.pop(tp, None)
        self._log.info("kafka partitions revoked", partitions=sorted(parts))

    async def on_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        tps = list(assigned)
        consumer = self._consumer
        start_ms = self._config.start_ms()
        if consumer is not None and start_ms is not None:
            await seek_to_time(consumer, tps, start_ms)
        if consumer is not None:
            self._lag.refresh(consumer, self._offsets.fetched, assigned=True)
        self._log.info("kafka partitions assigned", partitions=sorted(_parts(tps)))

    async def pause(self) -> None:
        consumer = self._consumer
        if consumer is not None:
            consumer.pause(*consumer.assignment())

    async def resume(self) -> None:
        consumer = self._consumer
        if consumer is not None:
            consumer.resume(*consumer.paused())

    def lag(self) -> float | None:
        """Records behind the end of the assigned partitions (end offset - next offset)."""
        figures = self._lag_figures()
        return float(sum(figures.values())) if figures else None

    def lag_detail(self) -> dict[str, float]:
        """Lag per `topic/partition` (the trigger status and the partition-lag metric)."""
        return {f"{t}/{p}": float(lag) for (t, p), lag in sorted(self._lag_figures().items())}

    def _lag_figures(self) -> dict[Partition, int]:
        consumer = self._consumer
        if consumer is None:
            return {}
        return self._lag.figures(consumer, self._offsets.fetched)

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        await self._lag.close()
        if consumer is None:
            return
        try:
            owned = [(tp.topic, tp.partition) for tp in consumer.assignment()]
            await self._commit(consumer, self._offsets.to_commit(owned))
        finally:
            await consumer.stop()

    def _connected(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise NotConnected("not connected")
        return self._consumer


def _raw(record: Any) -> RawRecord:
    return RawRecord(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        value=record.value,
        key=record.key,
        timestamp_ms=record.timestamp
        if record.timestamp is not None and record.timestamp >= 0
        else None,
        headers=tuple(record.headers or ()),
    )


def _parts(tps: Iterable[TopicPartition]) -> list[Partition]:
    return [(tp.topic, tp.partition) for tp in tps]


def build(config: KafkaTriggerConfig, context: SourceContext) -> KafkaSource:
    return KafkaSource(config, context)
