"""Real daemons with a kafka trigger: their YAML, their sink file, and a steady producer."""

from __future__ import annotations

import asyncio
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.store.base import ListQuery
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

SINK = """
import json, os

def append(event):
    with open(os.environ["SINK_FILE"], "a") as f:
        f.write(json.dumps({"key": event.idempotency_key, "n": event.data["n"]}) + "\\n")
"""


@dataclass
class Member:
    daemon: Daemon
    workdir: Path

    @property
    def sink(self) -> Path:
        return self.workdir / "sink.jsonl"

    def sunk(self) -> list[int]:
        if not self.sink.exists():
            return []
        return [n for line in self.sink.read_bytes().splitlines() if (n := _entry(line)) >= 0]


def _entry(line: bytes) -> int:
    """A SIGKILL can tear the last line; the restarted daemon then appends to its end. The
    torn part is dropped (that record ran again after the restart, or was never finished)."""
    try:
        return int(orjson.loads(line[line.rfind(b'{"key"') :])["n"])
    except (orjson.JSONDecodeError, KeyError, ValueError):
        return -1


def start_member(
    workdir: Path,
    daemon_factory: Callable[..., Daemon],
    *,
    bootstrap: str,
    topic: str,
    group: str,
    instance: str | None = None,
    store: str | None = None,
) -> Member:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sink.py").write_text(SINK)
    port = free_port()
    static = f"group_instance_id: {instance}" if instance is not None else ""
    store = store or f"sqlite:///{workdir}/hub.db"
    config = workdir / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "{store}", lease_timeout: 2s}}
              api: {{listen: "127.0.0.1:{port}"}}
              log: {{format: json}}
            functions:
              sink:
                target: {{type: python, handler: "sink:append"}}
            triggers:
              orders:
                type: kafka
                function: sink
                bootstrap_servers: "{bootstrap}"
                topics: [{topic}]
                group_id: {group}
                start: earliest
                read_size: 200
                read_window: 20ms
                {static}
            """
        )
    )
    env = {"SINK_FILE": str(workdir / "sink.jsonl")}
    daemon = daemon_factory(config, workdir, env, api_port=port)
    daemon.start()
    return Member(daemon, workdir)


async def produce_steadily(
    bootstrap: str, topic: str, first: int, last: int, *, partitions: int, per_second: float
) -> None:
    """Records {"n": first..last-1} round-robin over the partitions at about a fixed rate;
    retries a send the broker refused (a restart in the middle) until it is acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
    await producer.start()
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        for n in range(first, last):
            await asyncio.sleep(max(0.0, began + (n - first) / per_second - loop.time()))
            await _send(producer, topic, n, n % partitions)
    finally:
        await producer.stop()


async def _send(producer: AIOKafkaProducer, topic: str, n: int, partition: int) -> None:
    for _ in range(100):
        try:
            await producer.send_and_wait(topic, orjson.dumps({"n": n}), partition=partition)
            return
        except Exception:  # the broker is restarting: the record must still get there
            await asyncio.sleep(0.2)
    raise AssertionError(f"record {n} could not be produced")


def twice(*members: Member) -> int:
    """How many records ran more than once, across all the members."""
    counts = Counter(n for member in members for n in member.sunk())
    return sum(1 for c in counts.values() if c > 1)


async def stored_keys(workdir: Path) -> list[str]:
    store = StoreSettings(url=f"sqlite:///{workdir}/hub.db")
    async with Hub(HubSettings(store=store), {}) as hub:
        page = await hub.query(ListQuery(function="sink", limit=100_000))
    return [inv.idempotency_key or "" for inv in page.items]
