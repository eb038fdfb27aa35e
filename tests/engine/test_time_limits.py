"""Attempts' time limits (hub/time_limits.py): a limit that passes cancels only its attempt,
and a cancellation from outside (the hub stopping) is never mistaken for a timeout."""

from __future__ import annotations

import asyncio

import pytest

from hub import Event
from hub.status import Status
from hub.time_limits import GRAIN, TimeLimits
from tests.engine import functions
from tests.engine.conftest import MakeHub, fn


async def _limited(limits: TimeLimits, seconds: float, work: float) -> str:
    limit = limits.start(seconds)
    try:
        try:
            await asyncio.sleep(work)
        finally:
            expired = limits.end(limit)
    except asyncio.CancelledError:
        if not expired:
            raise
        return "timed out"
    return "done"


async def test_a_passed_limit_cancels_its_attempt_and_takes_the_cancellation_back() -> None:
    limits = TimeLimits()
    task = asyncio.create_task(_limited(limits, 0.05, 10))
    assert await asyncio.wait_for(task, 5) == "timed out"
    assert task.cancelling() == 0
    assert limits._buckets == {}  # the fired bucket is gone


async def test_an_attempt_that_ends_in_time_is_not_cancelled_later() -> None:
    limits = TimeLimits()
    assert await asyncio.wait_for(_limited(limits, 0.05, 0), 5) == "done"

    async def outlives_the_old_deadline() -> str:
        await asyncio.sleep(0.05 + 4 * GRAIN)
        return "untouched"

    assert await asyncio.wait_for(outlives_the_old_deadline(), 5) == "untouched"


async def test_a_cancellation_from_outside_is_not_a_timeout() -> None:
    limits = TimeLimits()
    task = asyncio.create_task(_limited(limits, 10, 10))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


async def test_an_outside_cancellation_with_an_expiry_still_propagates() -> None:
    limits = TimeLimits()
    started = asyncio.Event()
    holder: list[object] = []

    async def attempt() -> str:
        limit = limits.start(10)
        holder.append(limit)
        started.set()
        try:
            try:
                await asyncio.sleep(10)
            finally:
                expired = limits.end(limit)
        except asyncio.CancelledError:
            if not expired:
                raise
            return "timed out"
        return "done"

    task = asyncio.create_task(attempt())
    await asyncio.wait_for(started.wait(), 5)
    assert limits.expire(holder[0])  # type: ignore[arg-type]
    task.cancel()  # and the hub stops at the same moment
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


async def test_expire_ends_an_attempt_once() -> None:
    limits = TimeLimits()
    limit = None

    async def attempt() -> str:
        nonlocal limit
        limit = limits.start(10)
        try:
            try:
                await asyncio.sleep(10)
            finally:
                expired = limits.end(limit)
        except asyncio.CancelledError:
            assert expired
            return "stopped"
        return "done"

    task = asyncio.create_task(attempt())
    await asyncio.sleep(0.01)
    assert limit is not None
    assert limits.expire(limit)
    assert not limits.expire(limit)
    assert await asyncio.wait_for(task, 5) == "stopped"


async def test_a_slow_function_times_out_and_the_next_attempt_runs(make_hub: MakeHub) -> None:
    # One executor: the worker whose attempt timed out runs the next one, uncancelled.
    fns = {"slow": fn("hang", timeout=0.2, max_retry_attempts=0), "quick": fn("echo")}
    async with make_hub(fns, executors=1) as hub:
        [slow] = await hub.submit("slow", [Event(type="t", source="s")])
        [quick] = await hub.submit("quick", [Event(type="t", source="s")])
        timed_out = await hub.wait(slow.id, timeout=10)
        done = await hub.wait(quick.id, timeout=10)
    assert timed_out.status is Status.FAILED
    assert timed_out.last_error == "timed out after 0.2s"
    assert done.status is Status.SUCCEEDED
    assert sum(functions.calls.values()) == 2
