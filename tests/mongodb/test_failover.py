"""Two real daemons share one PostgreSQL store and one mongodb trigger: the change stream is a
single-reader source, so exactly one daemon reads it (holds its lease) and the other stands by.
When the reader is killed, the other takes over once the lease runs out; when it stops
gracefully, it gives the lease up and the other takes over at once. Across either, every
inserted document gets exactly one invocation, and every invocation succeeds."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pymongo import AsyncMongoClient

from hub import Status
from hub.invocation import Invocation
from hub.store.base import ListQuery
from hub.store.postgres import PostgresStore
from tests.mongodb.conftest import Client
from tests.mongodb.daemons import install_sink, sunk, trigger_status, watching, write_config
from tests.servers.daemon import Daemon
from tests.servers.mongodb import MongoDatabase
from tests.servers.postgres import Database
from tests.servers.process import free_port
from tests.waiting import until

BATCH = 10  # documents per insert
PACE = 0.05  # seconds between inserts: an application writing steadily, not a bulk load


def start_daemons(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    store: Database,
    database: MongoDatabase,
    lease_timeout: str,
) -> list[Daemon]:
    lib = tmp_path / "lib"
    install_sink(lib)
    path = os.pathsep.join(p for p in (str(lib), os.environ.get("PYTHONPATH")) if p)
    daemons = []
    for name in ("a", "b"):
        port = free_port()
        config = write_config(tmp_path / name, store.url, database, port, lease_timeout)
        env = {"SINK_FILE": str(tmp_path / "sink.jsonl"), "DAEMON_NAME": name, "PYTHONPATH": path}
        daemons.append(daemon_factory(config, tmp_path / name, env, api_port=port))
    for daemon in daemons:
        daemon.start()
    return daemons


async def expect(check: Callable[[], Any], timeout: float, failure: Callable[[], str]) -> None:
    """`until`, failing with what was seen instead of a bare TimeoutError."""
    try:
        await until(check, timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"not within {timeout:.0f}s: {failure()}") from None


async def all_sunk(path: Path, total: int, timeout: float) -> None:
    def missing() -> str:
        lost = sorted(set(range(total)) - sunk(path))
        return f"{len(lost)} of {total} documents never ran, e.g. {lost[:10]}"

    await expect(lambda: len(sunk(path)) >= total, timeout, missing)


async def roles(session: aiohttp.ClientSession, daemons: list[Daemon]) -> tuple[Daemon, Daemon]:
    """(holder, standby) once one daemon watches the stream and the other stands by."""
    found: list[Daemon] = []
    states: list[str] = []

    async def settled() -> bool:
        states[:] = [(await trigger_status(session, d))["state"] for d in daemons]
        if sorted(states) != ["connected", "standby"]:
            return False
        holder = daemons[states.index("connected")]
        if not await watching(session, holder):
            return False
        found[:] = [holder, daemons[states.index("standby")]]
        return True

    await expect(settled, 30, lambda: f"want one connected and one standby; states {states}")
    return found[0], found[1]


class Writer:
    """An application inserting documents 0, 1, 2, ... until told to stop."""

    def __init__(self, client: Client, database: MongoDatabase) -> None:
        self._orders = client[database.name]["orders"]
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.count = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> int:
        self._stop.set()
        assert self._task is not None
        await self._task
        return self.count

    async def cancel(self) -> None:
        """After a failure: stop without caring how the last insert went."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stop.is_set():
            first = self.count
            await self._orders.insert_many([{"_id": n} for n in range(first, first + BATCH)])
            self.count = first + BATCH
            await asyncio.sleep(PACE)


@asynccontextmanager
async def store_on(database: Database) -> AsyncIterator[PostgresStore]:
    """The shared store alone, without a dispatcher: it reads, it never leases or runs."""
    store = PostgresStore(database.url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def take_over(session: aiohttp.ClientSession, standby: Daemon, timeout: float) -> float:
    """Seconds until the standby watches the stream."""
    started = time.monotonic()
    seen: dict[str, Any] = {}

    async def connected() -> bool:
        seen.update(await trigger_status(session, standby))
        return seen["state"] == "connected" and seen["detail"]["resume_token"] is not None

    await expect(connected, timeout, lambda: f"the standby did not take over; status {seen}")
    return time.monotonic() - started


async def invocations(store: PostgresStore) -> list[Invocation]:
    page = await store.query(ListQuery(function="sink", limit=100_000))
    return list(page.items)


async def all_succeeded(store: PostgresStore, total: int) -> list[Invocation]:
    """Wait until every one of `total` documents' invocations has succeeded; return them all."""
    found: list[Invocation] = []

    async def done() -> bool:
        found[:] = await invocations(store)
        return len(found) >= total and all(inv.status is Status.SUCCEEDED for inv in found)

    try:
        await until(done, timeout=60)
    except TimeoutError:
        statuses = Counter(str(inv.status) for inv in found)
        raise AssertionError(
            f"{len(found)} invocations for {total} documents, statuses {dict(statuses)}"
        ) from None
    return found


def assert_exactly_once(items: list[Invocation], total: int) -> None:
    per_document = Counter(inv.event.data["documentKey"]["_id"] for inv in items)
    missing = sorted(set(range(total)) - set(per_document))
    repeated = {n: c for n, c in per_document.items() if c > 1}
    assert not missing, f"documents without an invocation: {missing[:20]} ({len(missing)})"
    assert not repeated, f"documents with more than one invocation: {repeated}"
    assert sorted(per_document) == list(range(total))
    assert len({inv.idempotency_key for inv in items}) == total
    assert all(inv.idempotency_key for inv in items)


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_sigkill_of_the_reader_moves_the_stream_to_the_standby_losing_nothing(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    postgres_database: Database,
    mongodb_database: MongoDatabase,
) -> None:
    sink = tmp_path / "sink.jsonl"
    daemons = start_daemons(tmp_path, daemon_factory, postgres_database, mongodb_database, "2s")
    client: Client = AsyncMongoClient(mongodb_database.url, serverSelectionTimeoutMS=10_000)
    writer = Writer(client, mongodb_database)
    try:
        async with aiohttp.ClientSession() as session:
            holder, standby = await roles(session, daemons)
            writer.start()
            await until(lambda: len(sunk(sink)) >= 150, timeout=60)

            # The standby has not read a single change while the holder was alive.
            waiting = await trigger_status(session, standby)
            assert waiting["state"] == "standby"
            assert waiting["events_in"] == 0
            assert waiting["detail"]["resume_token"] is None

            at_kill = writer.count
            holder.kill()
            assert writer.running, "the holder must die while documents keep coming"
            took_over = await take_over(session, standby, timeout=20)
            at_takeover = writer.count
            await all_sunk(sink, at_takeover, timeout=60)
            total = await writer.stop()
            await all_sunk(sink, total, timeout=60)
            survivor = await trigger_status(session, standby)

        async with store_on(postgres_database) as store:
            items = await all_succeeded(store, total)
    finally:
        await writer.cancel()
        await client.close()
    assert standby.terminate() == 0

    assert at_kill < at_takeover < total, "documents must arrive while no daemon reads"
    assert took_over < 15, f"the standby took {took_over:.1f}s to take over"
    # The new reader resumed after the token the dead one committed to the shared store.
    assert survivor["state"] == "connected"
    assert survivor["detail"]["opened_with"] == "resume_after"
    assert survivor["events_in"] > 0
    # Each document ran at least once; each has exactly one invocation, and it succeeded.
    assert sunk(sink) == set(range(total))
    assert_exactly_once(items, total)


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_a_stopping_reader_gives_the_stream_up_at_once_losing_nothing(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    postgres_database: Database,
    mongodb_database: MongoDatabase,
) -> None:
    # A long lease, so that only a lease given up on stop lets the standby in within 15 s: the
    # holder renews every 10 s, so a lease it kept would run out no sooner than 20 s after the
    # SIGTERM. The standby also tries every 10 s, so the takeover itself takes up to ~10 s.
    sink = tmp_path / "sink.jsonl"
    daemons = start_daemons(tmp_path, daemon_factory, postgres_database, mongodb_database, "30s")
    client: Client = AsyncMongoClient(mongodb_database.url, serverSelectionTimeoutMS=10_000)
    writer = Writer(client, mongodb_database)
    try:
        async with aiohttp.ClientSession() as session:
            holder, standby = await roles(session, daemons)
            writer.start()
            await until(lambda: len(sunk(sink)) >= 50, timeout=60)
            assert (await trigger_status(session, standby))["events_in"] == 0

            stopping = asyncio.create_task(asyncio.to_thread(holder.terminate))
            try:
                took_over = await take_over(session, standby, timeout=15)
            finally:
                stopped = await stopping
            assert stopped == 0, f"the holder exited with {stopped}"
            at_takeover = writer.count
            await all_sunk(sink, at_takeover, timeout=60)
            total = await writer.stop()
            await all_sunk(sink, total, timeout=60)
            survivor = await trigger_status(session, standby)

        async with store_on(postgres_database) as store:
            items = await all_succeeded(store, total)
    finally:
        await writer.cancel()
        await client.close()
    assert standby.terminate() == 0

    assert took_over < 15, f"the standby took {took_over:.1f}s to take over"
    assert survivor["state"] == "connected"
    assert survivor["detail"]["opened_with"] == "resume_after"
    assert sunk(sink) == set(range(total))
    assert_exactly_once(items, total)
