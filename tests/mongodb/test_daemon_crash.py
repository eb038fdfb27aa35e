"""The real daemon follows a MongoDB change stream, is killed with SIGKILL while a writer is in
the middle of its inserts, and is started again: every inserted document gets exactly one
invocation across the crash, and the restarted daemon resumes exactly at the committed resume
token — it reads nothing again, so no duplicate is left for the idempotency-key dedup to hide."""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from pymongo import AsyncMongoClient

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.store.base import ListQuery
from tests.servers.daemon import Daemon
from tests.servers.mongodb import MongoDatabase
from tests.servers.process import free_port
from tests.waiting import until

TRIGGER = "orders"
BEFORE_KILL = 3000  # inserted by the writer while the daemon reads (and dies)
WHILE_DOWN = 200  # inserted while no daemon runs
BATCH = 20

SINK = """
import json, os

def append(event):
    line = {"key": event.idempotency_key, "n": event.data["documentKey"]["_id"]}
    # One write(2) on an O_APPEND file: a kill cannot leave half a line.
    fd = os.open(os.environ["SINK_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\\n").encode())
    finally:
        os.close(fd)
"""

Client = AsyncMongoClient[dict[str, Any]]


def write_config(tmp_path: Path, database: MongoDatabase, port: int) -> Path:
    (tmp_path / "sink.py").write_text(SINK)
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store:
                url: sqlite:///{tmp_path}/hub.db
                lease_timeout: 2s
              api:
                listen: 127.0.0.1:{port}
              log: {{format: json}}
            functions:
              sink:
                target: {{type: python, handler: "sink:append"}}
            triggers:
              {TRIGGER}:
                type: mongodb
                function: sink
                uri: "{database.url}"
                database: {database.name}
                collection: orders
                max_await: 100ms
            """
        )
    )
    return config


def sunk(path: Path) -> set[int]:
    """The documents the function has run for (a run cut short by the kill may repeat)."""
    if not path.exists():
        return set()
    # The last piece is empty, or a line still being written: only whole lines count.
    whole = path.read_bytes().split(b"\n")[:-1]
    return {orjson.loads(line)["n"] for line in whole}


async def trigger_status(session: aiohttp.ClientSession, daemon: Daemon) -> dict[str, Any]:
    async with session.get(f"{daemon.url}/v1/triggers") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
    return dict(body[TRIGGER])


async def watching(session: aiohttp.ClientSession, daemon: Daemon) -> bool:
    """The stream is open and a resume token is committed: every change from now on is seen."""
    status = await trigger_status(session, daemon)
    return status["state"] == "connected" and status["detail"]["resume_token"] is not None


async def insert(orders: Any, first: int, last: int) -> None:
    for start in range(first, last, BATCH):
        await orders.insert_many(
            [{"_id": n, "n": n} for n in range(start, min(start + BATCH, last))]
        )


async def write(orders: Any, first: int, last: int) -> None:
    for start in range(first, last, BATCH):
        await insert(orders, start, min(start + BATCH, last))
        await asyncio.sleep(0.005)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_sigkill_mid_stream_then_restart_resumes_exactly_at_the_committed_token(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], mongodb_database: MongoDatabase
) -> None:
    sink = tmp_path / "sink.jsonl"
    port = free_port()
    config = write_config(tmp_path, mongodb_database, port)
    daemon = daemon_factory(config, tmp_path, {"SINK_FILE": str(sink)}, api_port=port)
    total = BEFORE_KILL + WHILE_DOWN
    client: Client = AsyncMongoClient(mongodb_database.url, serverSelectionTimeoutMS=10_000)
    try:
        async with aiohttp.ClientSession() as session:
            orders = client[mongodb_database.name]["orders"]
            daemon.start()
            # `start: now`: what is inserted before the first token is committed is not seen.
            await until(lambda: watching(session, daemon), timeout=60)
            first = await trigger_status(session, daemon)
            assert first["detail"]["opened_with"] == "now"

            # An application keeps inserting while the daemon reads, dies and comes back.
            writer = asyncio.create_task(write(orders, 0, BEFORE_KILL))
            try:
                await until(lambda: len(sunk(sink)) >= 300, timeout=120)
                daemon.kill()
                assert not writer.done(), "the crash must come in the middle of the inserts"
            finally:
                await writer
            await insert(orders, BEFORE_KILL, total)
            assert await orders.count_documents({}) == total

            restarted_at = time.time()
            daemon.start()
            await until(lambda: len(sunk(sink)) >= total, timeout=180)
            second = await trigger_status(session, daemon)
    finally:
        await client.close()
    assert daemon.terminate() == 0

    # Each document ran (at least once: a run cut short by the kill may run again)...
    assert sunk(sink) == set(range(total))
    # ...and has exactly one invocation, keyed by its change's resume token.
    invocations = await _invocations(tmp_path)
    assert sorted(n for n, _, _ in invocations) == list(range(total))
    assert len({key for _, key, _ in invocations}) == total
    before = [n for n, _, created in invocations if created < restarted_at]
    after = [n for n, _, created in invocations if created >= restarted_at]
    assert 0 < len(before) < BEFORE_KILL, "the first daemon must die part-way through"
    # The first daemon committed a prefix of the stream, the second one exactly the rest.
    assert max(before) < min(after)

    # Not thanks to the dedup: the restarted daemon resumed after the committed token and
    # read only changes it had not committed. Had it read any committed change again, the
    # store would have answered with the existing invocation, and `events_in` (every change
    # read) would exceed the invocations it created.
    assert second["state"] == "connected"
    assert second["detail"]["opened_with"] == "resume_after"
    assert second["events_in"] == len(after), (
        f"the restarted daemon read {second['events_in']} changes but created "
        f"{len(after)} invocations: it read {second['events_in'] - len(after)} again"
    )


async def _invocations(tmp_path: Path) -> list[tuple[int, str, float]]:
    """(document, idempotency key, created at) of every invocation of `sink`."""
    store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
    async with Hub(HubSettings(store=store), {}) as hub:
        page = await hub.query(ListQuery(function="sink", limit=100_000))
        await asyncio.sleep(0)
    return [
        (inv.event.data["documentKey"]["_id"], inv.idempotency_key or "", inv.created_at)
        for inv in page.items
    ]
