"""Tracing through Kafka: a record's `traceparent` header is the parent of the invocation's
trace, and the kafka destination publishes its record with the delivery's `traceparent`."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from aiokafka import AIOKafkaConsumer

from hub.telemetry import TelemetrySettings
from tests.kafka.conftest import MakeHub, MakeSet, fn, kafka_trigger
from tests.kafka.helpers import produce_many
from tests.servers.kafka import Topics
from tests.telemetry.collector import Collector
from tests.waiting import until


async def test_a_record_traceparent_leads_to_the_published_record(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet, collector: Collector
) -> None:
    source, results = await noida_topics.create("events", "results")
    boot = noida_topics.bootstrap
    dest = {"type": "kafka", "bootstrap_servers": boot, "topic": results}
    trace_id, sender = secrets.token_hex(16), secrets.token_hex(8)
    headers = [("traceparent", f"00-{trace_id}-{sender}-01".encode())]
    await produce_many(boot, source, [b'{"n": 1}'], headers=headers)
    consumer = AIOKafkaConsumer(results, bootstrap_servers=boot, auto_offset_reset="earliest")
    await consumer.start()
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    # noida-db's groups are only reliable with static membership.
    trigger = kafka_trigger(
        boot,
        topics=[source],
        group_id=noida_topics.name("group"),
        group_instance_id=f"{noida_topics.prefix}member",
        start="earliest",
    )
    try:
        async with (
            make_hub({"f": fn(on_success=dest)}, telemetry=telemetry) as hub,
            make_set(hub) as triggers,
        ):
            await triggers.start({"t": trigger})
            async with asyncio.timeout(30):
                published: Any = await consumer.getone()
    finally:
        await consumer.stop()
    await until(lambda: len(collector.named("send kafka")) == 1, timeout=10)
    [receive] = collector.named("receive t")
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender)
    [attempt] = collector.named("process f")
    assert (attempt.trace_id, attempt.parent_span_id) == (trace_id, receive.span_id)
    [send] = collector.named("send kafka")
    assert (send.trace_id, send.parent_span_id) == (trace_id, attempt.span_id)
    assert list(published.headers) == [("traceparent", f"00-{trace_id}-{send.span_id}-01".encode())]
