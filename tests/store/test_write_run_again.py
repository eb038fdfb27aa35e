"""A write whose transaction fails after its op ran: the committer runs the op again alone
(hub/store/batcher.py), as when the group commit it shared deadlocked with another daemon's
submit on PostgreSQL. The second run must do what the first would have done: it starts from
what it was given, not from what the first run made of it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest

from hub.events import Event
from hub.flow.fold_ops import BATCH_TYPE
from hub.flow.plan import BatchPlan, DebouncePlan, FlowPlan
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.base import InvocationStore
from hub.store.connection import Connection
from hub.store.postgres import PostgresStore
from hub.store.sqlite import SqliteStore
from hub.store.sqlstore import SqlStore
from hub.store.starts import PendingStarts

T = TypeVar("T")


def fail_first_try(store: SqlStore) -> None:
    """Each write's first transaction fails after its op ran (and is rolled back)."""
    commit = store._commit

    def flaky(op: Callable[[Connection], T], on_commit: Any = None) -> Any:
        runs = 0

        def once_failing(conn: Connection) -> T:
            nonlocal runs
            runs += 1
            result = op(conn)
            if runs == 1:
                raise RuntimeError("deadlock detected")
            return result

        return commit(once_failing, on_commit)

    store._commit = flaky  # type: ignore[method-assign]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    s: SqlStore
    if request.param == "postgres":
        s = PostgresStore(request.getfixturevalue("postgres_database").url, dedup_window=3600)
    else:
        s = SqliteStore(tmp_path / "hub.db", dedup_window=3600)
    await s.open()
    fail_first_try(s)
    yield s
    await s.close()


def new(data: object) -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function="f",
        event=Event(type="t", source="s", data=data),
        not_before=now,
        deadline=now + 3600,
    )


async def event_of(store: InvocationStore, inv_id: str) -> dict[str, Any]:
    inv = await store.get(inv_id)
    assert inv is not None
    event: dict[str, Any] = orjson.loads(inv.event_json)
    return event


async def test_a_batch_run_again_holds_its_events_once(store: SqlStore) -> None:
    plan = FlowPlan(batch=BatchPlan("k", max_size=10, max_wait=60.0))
    [opened] = (await store.submit_flow([new(0)], [plan], [])).submitted
    [joined] = (await store.submit_flow([new(1)], [plan], [])).submitted
    assert opened.created and joined.id == opened.id
    batch = await event_of(store, opened.id)
    # Not a batch wrapped in a batch: the function gets the list of the events themselves.
    assert batch["type"] == BATCH_TYPE
    assert [member["data"] for member in batch["data"]] == [0, 1]


async def test_a_debounce_run_again_is_due_one_period_on(store: SqlStore) -> None:
    plan = FlowPlan(debounce=DebouncePlan("k", period=60.0, max_wait=None))
    before = time.time()
    [pending] = (await store.submit_flow([new(0)], [plan], [])).submitted
    inv = await store.get(pending.id)
    assert inv is not None
    assert before + 60.0 <= inv.not_before <= time.time() + 60.0
    assert inv.deadline - inv.not_before == pytest.approx(3600.0, abs=1.0)


async def test_an_attempt_start_run_again_is_written(store: SqlStore) -> None:
    [sub] = await store.submit([new(0)])
    now = time.time()
    [leased], _ = await store.lease("me", now, 1, now + 60)
    assert leased.id == sub.id
    conn = store._connect()
    try:
        starts = PendingStarts()
        start = starts.queue(sub.id, owner="me", now=now, run_until=now + 90, attempt=1)
        store._begin(conn)
        starts.run(start, conn)
        conn.rollback()  # the group it shared failed: it runs again alone
        store._begin(conn)
        starts.run(start, conn)
        conn.commit()
    finally:
        conn.close()
    inv = await store.get(sub.id)
    assert inv is not None
    assert (inv.status, inv.attempts) == ("running", 1)
    # The outcome does not write a start that ran.
    assert starts.take(sub.id) is None
