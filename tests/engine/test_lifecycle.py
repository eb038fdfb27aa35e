"""Invocation lifecycle against a real SQLite store: success, retries, failure, expiry."""

from __future__ import annotations

import time

import pytest

from hub import Condition, Event, Status
from hub.errors import UnknownFunctionError
from tests.engine import functions
from tests.engine.conftest import MakeHub, fn


def ev(data: object = None, **kw: object) -> Event:
    return Event(type="test.event", source="tests", data=data, **kw)  # type: ignore[arg-type]


async def test_success_records_response_and_history(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        [sub] = await hub.submit("echo", [ev({"n": 1})])
        assert sub.created
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED
    assert inv.condition == "Success"
    assert inv.response == {"echo": {"n": 1}}
    assert inv.attempts == 1 and inv.invoke_count == 1
    assert [t.status for t in inv.history] == ["queued", "running", "succeeded"]
    assert inv.created_at <= inv.started_at <= inv.finished_at  # type: ignore[operator]


async def test_sync_function_runs_in_a_thread(make_hub: MakeHub) -> None:
    async with make_hub({"s": fn("sync_echo")}) as hub:
        [sub] = await hub.submit("s", [ev(5)])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED and inv.response == {"sync": 5}


async def test_retry_timeline_then_success(make_hub: MakeHub) -> None:
    async with make_hub({"flaky": fn("flaky", max_retry_attempts=2)}) as hub:
        [sub] = await hub.submit("flaky", [ev({"fail": 2})])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED
    assert inv.attempts == 3 and inv.invoke_count == 3
    assert [t.status for t in inv.history] == [
        "queued",
        "running",
        "retrying",
        "running",
        "retrying",
        "running",
        "succeeded",
    ]
    retry_gaps = [
        b.at - a.at
        for a, b in zip(inv.history, inv.history[1:], strict=False)
        if a.status == "retrying"
    ]
    # Backoff 10 ms then 20 ms (no jitter in the test policy).
    assert retry_gaps[0] >= 0.009 and retry_gaps[1] >= 0.019
    assert "attempt 1: RuntimeError: failure 1" in (inv.history[2].detail or "")


async def test_retries_exhausted(make_hub: MakeHub) -> None:
    async with make_hub({"flaky": fn("flaky", max_retry_attempts=1)}) as hub:
        [sub] = await hub.submit("flaky", [ev({"fail": 5})])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED
    assert inv.condition == Condition.RETRIES_EXHAUSTED
    assert inv.attempts == 2
    assert inv.last_error == "RuntimeError: failure 2"


async def test_zero_retries_fails_at_once(make_hub: MakeHub) -> None:
    async with make_hub({"flaky": fn("flaky", max_retry_attempts=0)}) as hub:
        [sub] = await hub.submit("flaky", [ev({"fail": 1})])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED and inv.attempts == 1


async def test_non_retryable_error_is_not_retried(make_hub: MakeHub) -> None:
    async with make_hub({"refuse": fn("refuse", max_retry_attempts=8)}) as hub:
        [sub] = await hub.submit("refuse", [ev()])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED
    assert inv.condition == Condition.NON_RETRYABLE
    assert inv.attempts == 1
    assert inv.last_error == "bad input: cannot ever succeed"


async def test_retry_after_is_honoured(make_hub: MakeHub) -> None:
    async with make_hub({"later": fn("later")}) as hub:
        [sub] = await hub.submit("later", [ev({"after": 0.3})])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED and inv.attempts == 2
    first, second = [t.at for t in inv.history if t.status == "running"]
    assert second - first >= 0.3


async def test_retry_past_max_event_age_expires(make_hub: MakeHub) -> None:
    async with make_hub({"later": fn("later", max_event_age=60)}) as hub:
        [sub] = await hub.submit("later", [ev({"after": 120})])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.EXPIRED
    assert inv.condition == Condition.EVENT_AGE_EXCEEDED
    assert "max_event_age" in (inv.last_error or "")


async def test_event_older_than_max_age_expires_without_running(
    make_hub: MakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_hub({"echo": fn("echo", max_event_age=60)}) as hub:
        [sub] = await hub.submit("echo", [ev()], delay=0.2)
        # The wall clock jumps two minutes while the invocation waits for its start.
        monkeypatch.setattr("hub.clock.now", lambda: time.time() + 120)
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.EXPIRED and inv.attempts == 0
    assert functions.calls == {}


async def test_response_is_size_capped(make_hub: MakeHub) -> None:
    async with make_hub({"big": fn("big", response_limit=1000)}) as hub:
        [sub] = await hub.submit("big", [ev()])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.response["truncated"] is True
    assert inv.response["bytes"] == 10_002
    assert len(inv.response["head"]) <= 1000


async def test_unknown_function_is_refused_at_submit(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        with pytest.raises(UnknownFunctionError, match="no function named 'nope'"):
            await hub.submit("nope", [ev()])


async def test_delay_bounds(make_hub: MakeHub) -> None:
    async with make_hub({"echo": fn("echo")}) as hub:
        with pytest.raises(ValueError, match="between 0 and"):
            await hub.submit("echo", [ev()], delay=8 * 86400)
        with pytest.raises(ValueError, match="between 0 and"):
            await hub.submit("echo", [ev()], delay=-1)
        with pytest.raises(ValueError, match="either a delay or a not-before"):
            await hub.submit("echo", [ev()], delay=1, not_before=time.time())
        # A seven-day deferral is allowed (no one-hour cap).
        [sub] = await hub.submit("echo", [ev()], delay=7 * 86400)
        inv = await hub.get(sub.id)
        assert inv.status is Status.QUEUED
        assert inv.not_before - inv.created_at == pytest.approx(7 * 86400, abs=1)
