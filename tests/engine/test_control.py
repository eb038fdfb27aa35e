"""Deferred starts, stop, redrive and idempotency."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub import Event, Status
from hub.errors import InvalidStateError, NotFoundError
from tests.engine import functions
from tests.engine.conftest import MakeHub, fn
from tests.waiting import until


def ev(data: object = None, key: str | None = None) -> Event:
    return Event(type="test.event", source="tests", data=data, idempotency_key=key)


async def test_deferred_invocations_start_in_due_order_and_not_early(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        subs = {}
        for delay in (0.3, 0.1, 0.2, 0.0):
            [subs[delay]] = await hub.submit("echo", [ev(delay)], delay=delay)
        invs = {d: await hub.wait(s.id, timeout=10) for d, s in subs.items()}
    assert functions.order == [0.0, 0.1, 0.2, 0.3]
    for inv in invs.values():
        assert inv.started_at is not None and inv.started_at >= inv.not_before
        assert inv.history[0].detail == ("deferred" if inv.not_before > inv.created_at else None)


async def test_not_before_absolute_time(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        at = time.time() + 0.2
        [sub] = await hub.submit("echo", [ev()], not_before=at)
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.started_at is not None and inv.started_at >= at


async def test_stop_deferred_invocation_never_runs(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        [sub] = await hub.submit("echo", [ev()], delay=0.3)
        stopped = await hub.stop(sub.id)
        assert stopped.status is Status.STOPPED and stopped.condition == "Stopped"
        # A later invocation due after the stopped one has run proves the dispatcher passed it.
        [after] = await hub.submit("echo", [ev("after")], delay=0.4)
        await hub.wait(after.id, timeout=10)
        inv = await hub.get(sub.id)
    assert inv.status is Status.STOPPED and inv.attempts == 0
    assert functions.order == ["after"]
    assert [t.status for t in inv.history] == ["queued", "stopped"]


async def test_stop_running_invocation_cancels_it(make_hub: MakeHub) -> None:
    async with make_hub(
        {"hang": fn("hang", on_failure="function:sink"), "sink": fn("sink")}
    ) as hub:
        event = ev()
        functions.started[event.id] = asyncio.Event()
        [sub] = await hub.submit("hang", [event])
        await asyncio.wait_for(functions.started[event.id].wait(), 10)
        inv = await hub.stop(sub.id)
        assert inv.status is Status.STOPPED
        await until(lambda: hub.executor.running == {})  # the attempt was cancelled
        [record] = await _sink_records(1)
    assert record["request_context"]["condition"] == "Stopped"
    assert record["request_context"]["request_id"] == sub.id
    assert functions.calls[event.id] == 1


async def _sink_records(n: int) -> list[dict[str, object]]:
    await until(lambda: len(functions.order) >= n)
    return list(functions.order)


async def test_stop_final_or_unknown_invocation_is_refused(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        [sub] = await hub.submit("echo", [ev()])
        await hub.wait(sub.id, timeout=10)
        with pytest.raises(InvalidStateError, match="already succeeded"):
            await hub.stop(sub.id)
        with pytest.raises(NotFoundError):
            await hub.stop("01NOSUCHINVOCATION0000000")


async def test_redrive_failed_invocation(make_hub: MakeHub) -> None:
    async with make_hub({"flaky": fn("flaky", max_retry_attempts=0)}) as hub:
        [sub] = await hub.submit("flaky", [ev({"fail": 1})])
        failed = await hub.wait(sub.id, timeout=10)
        assert failed.status is Status.FAILED
        redriven = await hub.redrive(sub.id)
        assert redriven.status in (Status.QUEUED, Status.RUNNING, Status.SUCCEEDED)
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED
    assert inv.attempts == 1 and inv.invoke_count == 2
    assert "redriven" in [t.detail for t in inv.history]


async def test_redrive_of_succeeded_is_refused(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        [sub] = await hub.submit("echo", [ev()])
        await hub.wait(sub.id, timeout=10)
        with pytest.raises(InvalidStateError, match="only failed, expired or stopped"):
            await hub.redrive(sub.id)


async def test_duplicate_idempotency_key_returns_existing_invocation(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo"), "other": fn("echo")}) as hub:
        [first] = await hub.submit("echo", [ev(1, key="k1")])
        [again] = await hub.submit("echo", [ev(2, key="k1")])
        [same_batch_a, same_batch_b] = await hub.submit("echo", [ev(3, "k2"), ev(4, "k2")])
        [other_fn] = await hub.submit("other", [ev(5, key="k1")])
        for sub in (first, same_batch_a, other_fn):
            await hub.wait(sub.id, timeout=10)
    assert first.created and not again.created and again.id == first.id
    assert same_batch_a.created and not same_batch_b.created and same_batch_b.id == same_batch_a.id
    assert other_fn.created and other_fn.id != first.id
    assert sorted(functions.order) == [1, 3, 5]


async def test_dedup_window_expires(make_hub: MakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    async with make_hub({"echo": fn("echo")}, store={"dedup_window": 60}) as hub:
        [first] = await hub.submit("echo", [ev(1, key="k")])
        await hub.wait(first.id, timeout=10)
        monkeypatch.setattr("hub.clock.now", lambda: time.time() + 61)
        [second] = await hub.submit("echo", [ev(2, key="k")])
        [third] = await hub.submit("echo", [ev(3, key="k")])
    assert second.created and second.id != first.id
    assert not third.created and third.id == second.id
