"""Kafka trigger benchmark: `python -m bench.kafka [--quick]` starts its own noida-db and prints,
from one run on one topic: plain aiokafka consuming it; the `kafka` trigger alone (its function
paused, so records are only durably queued); the trigger feeding a running no-op function (the
durably queued rate and the completed rate of that same run); and end-to-end latency (produce →
function start) at a fixed produce rate. The hub uses a fresh SQLite file (synchronous=FULL) per
scenario. See bench/README.md, Kafka."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.stats import cpu_seconds, machine, ms, table
from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry
from tests.servers.kafka import Noida, Topics
from tests.waiting import until
from triggers.kafka import KAFKA, KafkaTriggerConfig

PARTITIONS = 3
READ_SIZE = 1000


class Probe:
    """What the latency run's function saw."""

    latencies: list[float] = []


async def noop(event: Event) -> None:
    """The function each record invokes; the hub's hooks count what is queued and finished."""


async def stamped(event: Event) -> None:
    Probe.latencies.append(time.time() - event.data["t"])


@dataclass
class Rate:
    records_per_s: float
    cpu_us: float

    def __str__(self) -> str:
        return f"{self.records_per_s:,.0f} records/s, {self.cpu_us:,.0f} µs CPU/record"


class Counts:
    """From the hub's hooks. The clock starts at the first durable commit and that commit's
    records are left out, so the group join (hundreds of ms on this broker) is not timed."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.submitted = self.finished = 0
        self.first_at = self.in_at = self.done_at = 0.0
        self.first = 0
        self.all_in, self.all_done = asyncio.Event(), asyncio.Event()

    def on_submitted(self, _function: str, count: int) -> None:
        now = time.perf_counter()
        if not self.submitted:
            self.first_at, self.first = now, count
        self.submitted += count
        if self.submitted >= self.total and not self.all_in.is_set():
            self.in_at = now
            self.all_in.set()

    def on_finished(self, *_: object) -> None:
        self.finished += 1
        if self.finished >= self.total and not self.all_done.is_set():
            self.done_at = time.perf_counter()
            self.all_done.set()

    def queued(self) -> float:
        return (self.total - self.first) / (self.in_at - self.first_at)

    def completed(self) -> float:
        return (self.total - self.first) / (self.done_at - self.first_at)


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


async def plain_aiokafka(bootstrap: str, topic: str, total: int) -> Rate:
    """The baseline: a group consumer with manual commits per getmany, no hub; timed like the
    hub (from the end of its first read, whose records are left out)."""
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
        seen, first, began, cpu0 = 0, 0, 0.0, 0.0
        while seen < total:
            batches = await consumer.getmany(timeout_ms=50, max_records=READ_SIZE)
            if not batches:
                continue
            seen += sum(len(records) for records in batches.values())
            await consumer.commit()
            if not first:
                first, began, cpu0 = seen, time.perf_counter(), cpu_seconds()
        elapsed, cpu = time.perf_counter() - began, cpu_seconds() - cpu0
        return Rate((seen - first) / elapsed, cpu / (seen - first) * 1e6)
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
            "read_size": READ_SIZE,
            "read_window": "20ms",
        }
    )


def hub_for(workdir: Path, name: str, handler: str) -> Hub:
    store = StoreSettings(url=f"sqlite:///{workdir / name}.db")
    fn = FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"bench.kafka:{handler}"}, "concurrency": 1000}
    )
    return Hub(HubSettings(store=store), {"f": fn})


def kafka_registry() -> Registry:
    registry = Registry()
    registry.register(KAFKA)
    return registry


async def through_the_hub(
    workdir: Path, bootstrap: str, topic: str, total: int, *, run: bool
) -> tuple[Rate, Rate | None]:
    """The durably queued rate and, when the function runs, the completed rate of one run;
    with `run` false the function is paused, so the trigger and the store work alone."""
    counts = Counts(total)
    name = f"{topic}-{'run' if run else 'paused'}"
    config = trigger(bootstrap, topic, f"hub-{name}")  # loads the plugins: not timed
    async with hub_for(workdir, name, "noop") as hub:
        hub.hooks.on_submitted.append(counts.on_submitted)
        hub.hooks.on_finished.append(counts.on_finished)
        if not run:
            await hub.pauses.pause("function", "f")
        triggers = TriggerSet(hub, kafka_registry())
        cpu0 = cpu_seconds()
        try:
            await triggers.start({"t": config})
            async with asyncio.timeout(600):
                await (counts.all_done if run else counts.all_in).wait()
            if run:
                await hub.store.flush()  # the last outcomes are committed too
            cpu_us = (cpu_seconds() - cpu0) / total * 1e6
        finally:
            await triggers.stop()
    queued = Rate(counts.queued(), cpu_us)
    return queued, Rate(counts.completed(), cpu_us) if run else None


async def latency(workdir: Path, bootstrap: str, topic: str, total: int, rate: float) -> None:
    """Produce → function start at a steady rate, once the trigger owns every partition (a
    group join while the producer runs would be timed as latency)."""
    Probe.latencies = []
    async with hub_for(workdir, topic, "stamped") as hub:
        triggers = TriggerSet(hub, kafka_registry())
        try:
            await triggers.start({"t": trigger(bootstrap, topic, f"hub-{topic}")})
            await until(lambda: len(triggers.status()["t"]["lag_detail"] or {}) == PARTITIONS, 60)
            await produce(bootstrap, topic, total, rate)
            await until(lambda: len(Probe.latencies) >= total, 600)
        finally:
            await triggers.stop()


async def run(total: int, latency_total: int, rate: float) -> list[tuple[str, str]]:
    rows = [("machine", machine()), ("load before", load())]
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
            alone, _ = await through_the_hub(workdir, broker.bootstrap, topic, total, run=False)
            queued, completed = await through_the_hub(
                workdir, broker.bootstrap, topic, total, run=True
            )
            await latency(workdir, broker.bootstrap, timed, latency_total, rate)
        finally:
            broker.stop()
    assert completed is not None
    return [
        *rows,
        ("broker", "noida-db 0.2.3 (--only kafka), 3 partitions, on the same machine"),
        ("records", f"{total:,} (latency run: {latency_total:,} at {rate:.0f}/s)"),
        ("plain aiokafka, getmany + commit", str(plain)),
        ("trigger alone (function paused): durably queued", str(alone)),
        ("trigger + no-op function: durably queued", f"{queued.records_per_s:,.0f} records/s"),
        ("trigger + no-op function: completed", str(completed)),
        (
            "ratio completed / plain aiokafka",
            f"{completed.records_per_s / plain.records_per_s:.3f}",
        ),
        ("ratio queued alone / plain aiokafka", f"{alone.records_per_s / plain.records_per_s:.3f}"),
        ("latency produce → function p50", ms(Probe.latencies, 50)),
        ("latency produce → function p99", ms(Probe.latencies, 99)),
        ("load after", load()),
    ]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run with small counts")
    parser.add_argument("--records", type=int, default=None, help="records per throughput run")
    args = parser.parse_args(argv)
    total, latency_total, rate = (2000, 500, 200.0) if args.quick else (20_000, 3000, 500.0)
    # Run as __main__, the function handlers "bench.kafka:…" must find this very module's Probe.
    sys.modules.setdefault("bench.kafka", sys.modules[__name__])
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    print(table(asyncio.run(run(args.records or total, latency_total, rate))))


if __name__ == "__main__":
    main()
