"""AMQP benchmark: `python -m bench.amqp [--quick]` starts its own RabbitMQ, fills one durable
queue with persistent messages and drains it twice: with plain aio-pika (consume, ack each) and
with the triggerhub amqp trigger (durable submit to SQLite with synchronous=FULL, ack, run a
no-op python function). Prints messages/s for both and their ratio (bench/README.md, AMQP)."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import aio_pika
import orjson
import structlog
from aio_pika.abc import AbstractIncomingMessage

from bench.stats import cpu_seconds, machine, table
from hub import Event, Hub
from hub.config.functions import Backoff, FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry
from tests.servers.rabbitmq import RabbitMQ, Vhost
from triggers.amqp import AMQP, AmqpTriggerConfig

EXCHANGE, QUEUE, PREFETCH = "bench", "triggerhub.bench", 256


async def noop(event: Event) -> None:
    """The function each message invokes; finished invocations are counted by a hub hook."""


class Finish:
    """Counts from the hub's hooks: submitted (durably committed, then acked) and finished."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.submitted = self.finished = 0
        self.intake_at = self.done_at = 0.0
        self.all_in, self.all_done = asyncio.Event(), asyncio.Event()

    def on_submitted(self, _function: str, count: int) -> None:
        self.submitted += count
        if self.submitted >= self.total and not self.all_in.is_set():
            self.intake_at = time.perf_counter()
            self.all_in.set()

    def on_finished(self, *_: object) -> None:
        self.finished += 1
        if self.finished >= self.total and not self.all_done.is_set():
            self.done_at = time.perf_counter()
            self.all_done.set()


async def fill(url: str, total: int) -> float:
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(EXCHANGE, "topic", durable=True)
        queue = await channel.declare_queue(QUEUE, durable=True)
        await queue.bind(exchange, routing_key="#")
        start = time.perf_counter()
        for first in range(0, total, 1000):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            orjson.dumps({"n": n, "pad": "x" * 100}),
                            message_id=f"m{n}",
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key="bench.item",
                    )
                    for n in range(first, min(first + 1000, total))
                )
            )
        return total / (time.perf_counter() - start)


async def plain_aio_pika(url: str, total: int) -> tuple[float, float]:
    """The baseline: what any aio-pika consumer does, ack after (no) work, nothing stored."""
    done = asyncio.Event()
    count = 0

    async def on_message(message: AbstractIncomingMessage) -> None:
        nonlocal count
        orjson.loads(message.body)
        await message.ack()
        count += 1
        if count >= total:
            done.set()

    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.declare_queue(QUEUE, durable=True)
        cpu0, start = cpu_seconds(), time.perf_counter()
        await queue.consume(on_message)
        await done.wait()
        return total / (time.perf_counter() - start), (cpu_seconds() - cpu0) / total


async def triggerhub(url: str, workdir: Path, total: int) -> tuple[float, float, float]:
    registry = Registry()
    registry.register(AMQP)
    function = FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": "bench.amqp:noop"}, "concurrency": 10_000}
    )
    store = StoreSettings(url=f"sqlite:///{workdir / 'amqp.db'}")
    trigger = AmqpTriggerConfig.model_validate(
        {
            "type": "amqp",
            "url": url,
            "function": "f",
            "exchange": EXCHANGE,
            "queue": QUEUE,
            "prefetch": PREFETCH,
        }
    )
    fast = Backoff(initial=0.05, multiplier=2.0, max=1.0, jitter=False)
    finish = Finish(total)
    async with Hub(HubSettings(store=store), {"f": function}) as hub:
        hub.hooks.on_submitted.append(finish.on_submitted)
        hub.hooks.on_finished.append(finish.on_finished)
        triggers = TriggerSet(hub, registry, reconnect=fast)
        cpu0, start = cpu_seconds(), time.perf_counter()
        await triggers.start({"bench": trigger})
        await finish.all_done.wait()
        await hub.store.flush()  # the last completions are committed too
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
        intake = finish.intake_at - start
        await triggers.stop()
    return total / elapsed, total / intake, cpu / total


async def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 messages (a smoke check)")
    parser.add_argument("--messages", type=int, default=None)
    args = parser.parse_args()
    total = args.messages or (5_000 if args.quick else 30_000)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    rows: dict[str, str] = {"machine": machine(), "load before": _load()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "rabbit").mkdir()
        broker = RabbitMQ(work / "rabbit")
        await asyncio.to_thread(broker.start)
        try:
            vhost = Vhost.create(broker)
            publish_rate = await fill(vhost.url, total)
            plain, plain_cpu = await plain_aio_pika(vhost.url, total)
            await fill(vhost.url, total)
            hub_rate, intake_rate, hub_cpu = await triggerhub(vhost.url, work, total)
        finally:
            await asyncio.to_thread(broker.stop)
    rows |= {
        "messages (persistent, durable queue, ~120 B JSON)": f"{total:,}",
        "publish with confirms (for scale)": f"{publish_rate:,.0f} msg/s",
        "plain aio-pika: consume + ack": f"{plain:,.0f} msg/s, {plain_cpu * 1e6:,.0f} µs CPU/msg",
        "triggerhub: queue → durable invocation (acked)": f"{intake_rate:,.0f} msg/s",
        "triggerhub: queue → completed no-op invocation": (
            f"{hub_rate:,.0f} msg/s, {hub_cpu * 1e6:,.0f} µs CPU/msg"
        ),
        "ratio triggerhub / plain aio-pika (completed)": f"{hub_rate / plain:.2f}",
        "load after": _load(),
    }
    print(table(list(rows.items())))


def _load() -> str:
    one, five, _ = os.getloadavg()
    busy = " (busy: other work on the machine)" if one > 1.5 else ""
    return f"{one:.2f} (1 min), {five:.2f} (5 min){busy}"


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
