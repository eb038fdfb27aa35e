"""Several daemons on one PostgreSQL database: wake-ups through NOTIFY, leases that fail over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import psycopg
import pytest

from hub import Event, Hub, Status
from hub.config.settings import HubSettings, StoreSettings
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.postgres import PostgresStore
from tests.engine import functions
from tests.engine.conftest import fn
from tests.servers.postgres import Database

pytestmark = pytest.mark.postgres


def item() -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function="echo",
        event=Event(type="t", source="s"),
        not_before=now,
        deadline=now + 3600,
    )


@pytest.fixture
async def bare_store(postgres_database: Database) -> AsyncIterator[PostgresStore]:
    """Another daemon's store, without a dispatcher: it submits and leases, never runs."""
    store = PostgresStore(postgres_database.url)
    await store.open()
    yield store
    await store.close()


def hub_on(database: Database, lease_timeout: float = 1.0, **settings: object) -> Hub:
    store = StoreSettings(url=database.url, lease_timeout=lease_timeout)
    return Hub(HubSettings(store=store, **settings), {"echo": fn("echo")})  # type: ignore[arg-type]


# LISTEN used to start in the background after open() returned, so a submit right after a
# start could go unheard (8 of 25 isolated runs): the race needs many runs to show.
@pytest.mark.parametrize("run", range(50))
async def test_work_submitted_elsewhere_wakes_this_daemon(
    run: int, postgres_database: Database, bare_store: PostgresStore
) -> None:
    functions.reset()
    async with hub_on(postgres_database) as hub:
        # The dispatcher is asleep with nothing due; only the other store's NOTIFY can wake it
        # this soon (the safety poll is seconds away).
        subs = await bare_store.submit([item() for _ in range(5)])
        for sub in subs:
            inv = await hub.wait(sub.id, timeout=10)
            assert inv.status is Status.SUCCEEDED
            assert inv.started_at is not None and inv.started_at - inv.created_at < 0.9


async def submit_silently(database: Database) -> str:
    """Commit due work the way a store does, minus the NOTIFY: a notification that got lost."""
    new = item()
    async with await psycopg.AsyncConnection.connect(database.url) as conn:
        await conn.execute(
            "INSERT INTO invocations (id, function, status, event, created_at, not_before, "
            "deadline, run_at, history) VALUES (%s, %s, 'queued', %s, %s, %s, %s, %s, '[]')",
            (
                new.id,
                new.function,
                new.event.to_json(),
                new.not_before,
                new.not_before,
                new.deadline,
                new.not_before,
            ),
        )
    return new.id


async def test_work_whose_notify_was_lost_runs_at_the_next_safety_poll(
    postgres_database: Database,
) -> None:
    functions.reset()
    store = PostgresStore(postgres_database.url, safety_poll=0.5)
    async with Hub(HubSettings(), {"echo": fn("echo")}, store=store) as hub:
        inv_id = await submit_silently(postgres_database)
        inv = await hub.wait(inv_id, timeout=10)
    assert inv.status is Status.SUCCEEDED
    assert inv.started_at is not None and inv.started_at - inv.created_at < 0.5 + 0.9


async def test_a_lost_listen_connection_comes_back_and_finds_what_it_missed(
    postgres_database: Database,
) -> None:
    functions.reset()
    store = PostgresStore(postgres_database.url, safety_poll=3600)  # no poll to hide behind
    async with Hub(HubSettings(), {"echo": fn("echo")}, store=store) as hub:
        async with await psycopg.AsyncConnection.connect(
            postgres_database.url, autocommit=True
        ) as admin:
            # Cut the listener off, then commit work while it is gone: its NOTIFY is lost.
            cut = await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
            assert [row[0] for row in await cut.fetchall()] == [True]
            inv_id = await submit_silently(postgres_database)
        inv = await hub.wait(inv_id, timeout=15)
    assert inv.status is Status.SUCCEEDED


async def test_a_dead_daemons_lease_runs_out_and_another_runs_it(
    postgres_database: Database, bare_store: PostgresStore
) -> None:
    functions.reset()
    [sub] = await bare_store.submit([item()])
    now = time.time()
    leased, _ = await bare_store.lease("dead-daemon", now, 10, now + 1.0)
    assert [inv.id for inv in leased] == [sub.id]
    async with hub_on(postgres_database) as hub:
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED
    assert inv.started_at is not None and inv.started_at >= now + 1.0


async def test_two_daemons_share_the_queue_without_running_anything_twice(
    postgres_database: Database,
) -> None:
    """Exactly once while no lease runs out: the leases outlast the test, so a second run could
    only come from two daemons holding one lease. A lease that runs out hands the work over by
    design (at least once), which test_a_dead_daemons_lease_runs_out_and_another_runs_it
    proves; with short leases a loaded machine made that happen here too."""
    functions.reset()
    lease = 300.0
    async with (
        hub_on(postgres_database, lease_timeout=lease) as a,
        hub_on(postgres_database, lease_timeout=lease) as b,
    ):
        started = time.monotonic()
        subs = [
            s
            for i in range(10)
            for s in await (a if i % 2 else b).submit(
                "echo", [Event(type="t", source="s", data=i * 100 + j) for j in range(50)]
            )
        ]
        done = await asyncio.gather(*(a.wait(s.id, timeout=30) for s in subs))
    assert time.monotonic() - started < lease  # so no lease can have run out
    assert {inv.status for inv in done} == {Status.SUCCEEDED}
    assert len(functions.order) == 500 and len(set(functions.order)) == 500


async def test_an_error_text_with_a_nul_is_recorded_and_never_blocks_the_executor(
    postgres_database: Database,
) -> None:
    """PostgreSQL's text and jsonb refuse NUL: a failure quoting a reply that holds one used to
    make the outcome's write fail every time, retried forever while holding the executor."""
    functions.reset()
    store = StoreSettings(url=postgres_database.url, lease_timeout=1.0)
    settings = HubSettings(store=store, executors=1)
    config = {"nul": fn("nul_reply", max_retry_attempts=1), "echo": fn("echo")}
    async with Hub(settings, config) as hub:  # type: ignore[arg-type]
        [failing] = await hub.submit("nul", [Event(type="t", source="s")])
        inv = await hub.wait(failing.id, timeout=20)
        assert inv.status is Status.FAILED
        assert inv.last_error is not None and "\ufffd bad" in inv.last_error
        # The one executor is free again.
        [ok] = await hub.submit("echo", [Event(type="t", source="s")])
        assert (await hub.wait(ok.id, timeout=10)).status is Status.SUCCEEDED
