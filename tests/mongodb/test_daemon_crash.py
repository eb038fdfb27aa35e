"""The real daemon follows a MongoDB change stream, is killed with SIGKILL while a writer is in
the middle of its inserts, and is started again: every inserted document gets exactly one
invocation across the crash, and the restarted daemon resumes exactly at the committed resume
token — it reads nothing again, so no duplicate is left for the idempotency-key dedup to hide."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pymongo import AsyncMongoClient

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.store.base import ListQuery
from tests.mongodb.conftest import Client
from tests.mongodb.daemons import install_sink, sunk, trigger_status, watching, write_config
from tests.servers.daemon import Daemon
from tests.servers.mongodb import MongoDatabase
from tests.servers.process import free_port
from tests.waiting import until

BEFORE_KILL = 3000  # inserted by the writer while the daemon reads (and dies)
WHILE_DOWN = 200  # inserted while no daemon runs
BATCH = 20


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
    install_sink(tmp_path)
    store = f"sqlite:///{tmp_path}/hub.db"
    config = write_config(tmp_path, store, mongodb_database, port, lease_timeout="2s")
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
