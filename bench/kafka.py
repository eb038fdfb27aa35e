"""Kafka trigger benchmark: `python -m bench.kafka [--quick]` starts its own noida-db and prints
(1) records/s from a topic to completed no-op invocations, against plain aiokafka consuming the
same topic in the same run, and (2) end-to-end latency (produce → function start) at a fixed
produce rate. The hub uses a fresh SQLite file (synchronous=FULL) per scenario."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.stats import machine, ms, table
from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry
from tests.servers.kafka import Noida, Topics
from triggers.kafka import KAFKA, KafkaTriggerConfig

PARTITIONS = 3


class Probe:
    done = 0
    target = 0
    first = last = 0.0
    finished: asyncio.Event | None = None
    latencies: list[float] = []

    @classmethod
    def reset(cls, target: int) -> None:
        cls.done, cls.target, cls.latencies = 0, target, []
        cls.finished = asyncio.Event()

    @classmethod
    def rate(cls) -> float:
        """Steady state: from the first invocation to the last, the group join left out."""
        return (cls.done - 1) / (cls.last - cls.first)


async def noop(event: Event) -> None:
    Probe.done += 1
    Probe.last = time.perf_counter()
    if Probe.done == 1:
        Probe.first = Probe.last
    if Probe.done >= Probe.target and Probe.finished is not None:
        Probe.finished.set()


async def stamped(event: Event) -> None:
    Probe.latencies.append(time.time() - event.data["t"])
    await noop(event)


async def produce(bootstrap: str, topic: str, total: int, rate: float | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        began, pending = time.monotonic(), []
        for n in range(total):
            if rate is not None:
                await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
            value = orjson.dumps({"n": n, "t": time.time()})
            pending.append(await producer.send(topic, value, partition=n % PARTITIONS))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def plain_aiokafka(bootstrap: str, topic: str, total: int) -> float:
    """The baseline: a group consumer with manual commits per getmany, no hub."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"plain-{topic}",
        group_instance_id=f"plain-{topic}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen, first = 0, 0.0
        while seen < total:
            batches = await consumer.getmany(timeout_ms=50, max_records=1000)
            if batches and not seen:
                first = time.perf_counter()  # from the first records, like Probe.rate()
            seen += sum(len(records) for records in batches.values())
            if batches:
                await consumer.commit()
        return seen / (time.perf_counter() - first)
    finally:
        await consumer.stop()


def trigger(bootstrap: str, topic: str, group: str) -> KafkaTriggerConfig:
    return KafkaTriggerConfig.model_validate(
        {
            "type": "kafka",
            "function": "f",
            "bootstrap_servers": bootstrap,
            "topics": [topic],
            "group_id": group,
            "group_instance_id": group,
            "start": "earliest",
            "read_size": 1000,
            "read_window": "20ms",
        }
    )


async def through_the_hub(
    workdir: Path, bootstrap: str, topic: str, total: int, handler: str, produce_rate: float | None
) -> float:
    store = StoreSettings(url=f"sqlite:///{workdir / topic}.db")
    fn = FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"bench.kafka:{handler}"}, "concurrency": 1000}
    )
    registry = Registry()
    registry.register(KAFKA)
    Probe.reset(total)
    assert Probe.finished is not None
    async with Hub(HubSettings(store=store), {"f": fn}) as hub:
        triggers = TriggerSet(hub, registry)
        try:
            await triggers.start({"t": trigger(bootstrap, topic, f"hub-{topic}")})
            if produce_rate is not None:
                await produce(bootstrap, topic, total, produce_rate)
            async with asyncio.timeout(600):
                await Probe.finished.wait()
            return Probe.rate()
        finally:
            await triggers.stop()


async def run(quick: bool) -> list[tuple[str, str]]:
    total, latency_total, rate = (2000, 500, 200.0) if quick else (20_000, 3000, 500.0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        broker = Noida(workdir / "broker")
        broker.base_dir.mkdir()
        broker.start()
        try:
            topics = Topics.fresh(broker)
            (topic, timed) = await topics.create("throughput", "latency", partitions=PARTITIONS)
            await produce(broker.bootstrap, topic, total)
            plain = await plain_aiokafka(broker.bootstrap, topic, total)
            hub_rate = await through_the_hub(workdir, broker.bootstrap, topic, total, "noop", None)
            await through_the_hub(workdir, broker.bootstrap, timed, latency_total, "stamped", rate)
        finally:
            broker.stop()
    return [
        ("machine", machine()),
        ("broker", "noida-db 0.2.3 (--only kafka), 3 partitions, on the same machine"),
        ("records", f"{total} (latency run: {latency_total} at {rate:.0f}/s)"),
        ("plain aiokafka, getmany + commit", f"{plain:,.0f} records/s"),
        ("topic → completed no-op invocation", f"{hub_rate:,.0f} records/s"),
        ("ratio hub / plain", f"{hub_rate / plain:.2f}"),
        ("latency produce → function p50", ms(Probe.latencies, 50)),
        ("latency produce → function p99", ms(Probe.latencies, 99)),
    ]


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run with small counts")
    args = parser.parse_args(argv)
    # Run as __main__, the function handlers "bench.kafka:…" must find this very module's Probe.
    sys.modules.setdefault("bench.kafka", sys.modules[__name__])
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    print(table(asyncio.run(run(args.quick))))


if __name__ == "__main__":
    main()
