"""The daemon as an operator runs it, reading a moto queue with credentials and endpoint from
the environment: SIGKILLed mid-stream, restarted, and every record is invoked exactly once
(redelivered messages and duplicated messages are suppressed by the idempotency key)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.object_storage.conftest import Wired, fixture_bytes, wire
from tests.servers.daemon import Daemon
from tests.servers.moto import Names
from tests.servers.process import free_port
from tests.waiting import until

OBJECTS = 60
FUNCTIONS = """\
import os

def record(event):
    with open(os.environ["RECORD_FILE"], "a") as f:
        f.write(f"{event.subject}\\t{event.idempotency_key}\\n")
    return "ok"
"""


def write_config(path: Path, port: int, queue_url: str) -> None:
    # No endpoint, region or credentials here: boto3 takes them from the environment.
    path.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{path.parent}/hub.db", lease_timeout: 2s}}
              api: {{listen: "127.0.0.1:{port}"}}
            functions:
              record:
                target: {{type: python, handler: "osfns:record"}}
            triggers:
              uploads:
                type: object_storage
                function: record
                queue_url: "{queue_url}"
                visibility_timeout: 2s
              pushed:
                type: object_storage
                function: record
            """
        )
    )


def recorded(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [(subject, key) for subject, _, key in (line.partition("\t") for line in lines)]


def duplicate_some(wired: Wired, count: int) -> int:
    """Send copies of waiting notifications, as SQS's at-least-once delivery may."""
    response = wired.sqs.receive_message(
        QueueUrl=wired.queue_url, MaxNumberOfMessages=count, VisibilityTimeout=0
    )
    bodies = [m["Body"] for m in response.get("Messages", []) if "Records" in m["Body"]]
    for body in bodies:
        wired.sqs.send_message(QueueUrl=wired.queue_url, MessageBody=body)
    return len(bodies)


def invocations_in(db: Path) -> int:
    """Invocations the killed daemon had committed (SQLite recovers its WAL on open)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM invocations").fetchone()
    return int(count)


async def all_invocations(session: aiohttp.ClientSession, url: str) -> list[dict[str, Any]]:
    params = {"function": "record", "limit": "1000"}
    async with session.get(f"{url}/v1/invocations", params=params) as resp:
        assert resp.status == 200
        items: list[dict[str, Any]] = (await resp.json())["items"]
        return items


async def freeze_while_holding_messages(daemon: Daemon, wired: Wired) -> int:
    """SIGSTOP the daemon at a moment it holds received, undeleted messages; their number.

    A SIGKILL keyed on anything else lands between batches most of the time (a batch is
    held for a few milliseconds), so the crash would never leave work in flight."""
    while True:
        await until(lambda: _hidden(wired), timeout=30)
        os.kill(daemon.pid, signal.SIGSTOP)
        held = (await asyncio.to_thread(wired.counts))[1]
        if held:
            return held
        os.kill(daemon.pid, signal.SIGCONT)  # it settled the batch first: try the next one


async def _hidden(wired: Wired) -> bool:
    return (await asyncio.to_thread(wired.counts))[1] > 0


async def test_sigkill_mid_stream_loses_nothing_and_invokes_each_record_once(
    moto_names: Names, tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    wired = await asyncio.to_thread(wire, moto_names)
    (tmp_path / "osfns.py").write_text(FUNCTIONS)
    port, config, record_file = free_port(), tmp_path / "triggers.yaml", tmp_path / "rec.tsv"
    write_config(config, port, wired.queue_url)
    env = {**moto_names.env, "RECORD_FILE": str(record_file)}
    daemon = daemon_factory(config, tmp_path, env=env, api_port=port)
    await asyncio.to_thread(daemon.start)
    keys = {f"batch/{i:03d}.txt" for i in range(OBJECTS)}

    def upload() -> None:
        for key in sorted(keys):
            wired.put(key)

    uploading = asyncio.create_task(asyncio.to_thread(upload))
    await until(lambda: len(recorded(record_file)) >= 5, timeout=30)
    assert await freeze_while_holding_messages(daemon, wired) > 0
    await asyncio.to_thread(daemon.kill)
    committed = invocations_in(tmp_path / "hub.db")
    assert committed < OBJECTS  # the kill came mid-stream
    await uploading
    duplicates = await asyncio.to_thread(duplicate_some, wired, 5)
    assert duplicates > 0

    await asyncio.to_thread(daemon.start)
    # The messages the killed daemon held come back after their 2 s visibility timeout.
    await until(lambda: {s for s, _ in recorded(record_file)} >= keys, timeout=60)
    await until(wired.empty, timeout=30)
    async with aiohttp.ClientSession() as session:
        invs = await all_invocations(session, daemon.url)
        async with session.get(f"{daemon.url}/v1/triggers") as resp:
            read_again = (await resp.json())["uploads"]["events_in"]
        async with session.post(
            f"{daemon.url}/v1/hooks/object-storage/pushed", data=fixture_bytes("minio-put.json")
        ) as resp:
            assert resp.status == 200
    per_key = Counter(inv["idempotency_key"] for inv in invs)
    assert len(per_key) == OBJECTS and set(per_key.values()) == {1}
    # The restarted daemon read more records than it had left to queue: the duplicates (and
    # whatever the killed one had committed but not deleted) were read and not invoked again.
    assert read_again >= OBJECTS - committed + duplicates
    assert {s for s, k in recorded(record_file) if k in per_key} == keys
    # The webhook-only trigger of the same daemon feeds the same function.
    await until(lambda: "photos/2024/my photo.jpg" in {s for s, _ in recorded(record_file)})
    # SIGTERM does not wait for the pending 20 s long poll (see poll.py).
    began = time.monotonic()
    assert await asyncio.to_thread(daemon.terminate) == 0
    assert time.monotonic() - began < 10
