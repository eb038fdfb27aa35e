"""The supervised trigger runtime against a real Hub on a temporary SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from hub import Event, Hub
from hub.intake import TriggerSet
from hub.plugins import BackOff, EndOfInput, NotConnected, Registry
from hub.status import Status
from hub.store.base import ListQuery
from tests.plugins import functions
from tests.plugins.conftest import MakeHub, fn, trigger
from tests.plugins.functions import wait_recorded
from tests.plugins.kinds import NEEDS_LIB
from tests.plugins.memory import channel
from tests.waiting import until

MakeSet = Callable[[Hub], AbstractAsyncContextManager[TriggerSet]]


def events(*values: object, prefix: str = "k") -> list[Event]:
    return [
        Event(type="test.tick", source="/test", data=v, idempotency_key=f"{prefix}-{v}")
        for v in values
    ]


async def invocations(hub: Hub, function: str = "f") -> list[object]:
    page = await hub.query(ListQuery(function=function, limit=1000))
    return sorted(inv.event.data for inv in page.items)


async def test_a_batch_is_acked_only_after_its_invocations_are_committed(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    seen_at_ack: list[tuple[list[object], str | None]] = []

    async def check() -> None:
        seen_at_ack.append((await invocations(hub), await hub.store.get_checkpoint("memory:c")))

    ch.before_ack = check
    ch.put(events(1, 2))
    ch.put(events(3))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 2)
        assert seen_at_ack == [([1, 2], "1"), ([1, 2, 3], "2")]
        await wait_recorded(3)
        status = triggers.status()["t"]
        assert (status["state"], status["events_in"], status["restarts"]) == ("connected", 3, 0)
        assert status["last_event_at"] is not None


async def test_idempotency_keys_pass_through_and_redelivery_is_not_invoked_twice(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    ch.put(events(1, 2))
    ch.put(events(1, 2))  # the broker delivered the same records again
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 2)
    page = await hub.query(ListQuery(function="f"))
    assert sorted(inv.idempotency_key or "" for inv in page.items) == ["k-1", "k-2"]


async def test_each_function_of_a_trigger_gets_an_invocation(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    ch.put(events(1, 2))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c", ["f", "g"])})
        await ch.wait(lambda: len(ch.acked) == 1)
    assert await invocations(hub, "f") == await invocations(hub, "g") == [1, 2]


@pytest.mark.parametrize("forget", [False, True], ids=["close-cancels", "close-forgets"])
async def test_a_task_a_source_starts_is_supervised_restarted_after_a_crash_and_stopped_with_it(
    hub: Hub, make_set: MakeSet, forget: bool
) -> None:
    ch = channel(f"background-{forget}")
    ch.forget_background = forget
    runs: list[int] = []

    async def beat() -> None:
        runs.append(len(runs) + 1)
        if len(runs) == 1:
            raise RuntimeError("the first run crashes")
        await asyncio.Event().wait()

    ch.background = beat
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger(ch.name)})
        await until(lambda: len(runs) == 2)
        assert "intake/trigger:t/background" in hub.supervisor.running()
        assert triggers.status()["t"]["restarts"] == 0  # the trigger itself never crashed
        await triggers.stop()
        # Stopped with the trigger, whether its close() cancelled it or intake had to.
        assert not [name for name in hub.supervisor.running() if "trigger:t/" in name]
    assert runs == [1, 2]


async def test_a_source_that_crashes_on_read_is_reconnected_and_nothing_is_lost(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    ch.put(events(1))
    ch.put(RuntimeError("broker went away"))
    ch.put(NotConnected("socket closed"))
    ch.put(events(2, 3))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 2)
        status = triggers.status()["t"]
        assert status["restarts"] == 2
        assert status["last_error"] == "NotConnected('socket closed')"
        assert (ch.connects, ch.closes) == (3, 2)
        await wait_recorded(3)
    assert await invocations(hub) == [1, 2, 3]


async def test_a_failed_ack_redelivers_and_the_store_deduplicates(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    failures = [ConnectionResetError("ack lost")]

    async def flaky_ack() -> None:
        if failures:
            raise failures.pop()

    ch.before_ack = flaky_ack
    ch.put(events(1, 2))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 1)
        assert triggers.status()["t"]["restarts"] == 1
        assert triggers.status()["t"]["events_in"] == 4  # read twice
    assert await invocations(hub) == [1, 2]


async def test_connect_failures_back_off_and_retry(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    ch.connect_errors = [OSError("refused"), OSError("refused again")]
    ch.put(events(1))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 1)
        assert ch.connects == 3
        assert triggers.status()["t"]["restarts"] == 2
        assert triggers.status()["t"]["state"] == "connected"


async def test_a_failed_submit_nacks_and_the_batch_comes_back(
    make_hub: MakeHub, make_set: MakeSet
) -> None:
    async with make_hub({"other": fn()}) as hub:
        ch = channel("c")
        ch.put(events(1, 2))
        async with make_set(hub) as triggers:
            # The trigger feeds `f`, which the hub does not know (yet): submit raises.
            await triggers.start({"t": trigger("c")})
            await ch.wait(lambda: len(ch.nacked) >= 2)
            assert ch.acked == []
            assert "no function named 'f'" in ch.nacked[0]
            assert "no function named 'f'" in (triggers.status()["t"]["last_error"] or "")
            hub.set_functions({"other": fn(), "f": fn()})
            await ch.wait(lambda: len(ch.acked) == 1)
            await wait_recorded(2)
        assert await invocations(hub) == [1, 2]
        assert ch.connects == 1  # a submit failure is not a source failure


async def test_backoff_signal_waits_without_reconnecting(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    ch.put(BackOff(0.01, "rate limited"))
    ch.put(events(1))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 1)
        assert (ch.connects, triggers.status()["t"]["restarts"]) == (1, 0)


async def test_end_of_input_ends_the_trigger_cleanly(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    ch.put(events(1))
    ch.put(EndOfInput())
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: ch.closes == 1)
        status = triggers.status()["t"]
        assert (status["state"], status["restarts"], status["last_error"]) == ("ended", 0, None)
        assert len(ch.acked) == 1


async def test_the_filter_drops_and_counts_non_matching_events(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    keep = {"field": "data.keep", "exact": True}
    ch.put([Event(type="t", source="/s", data={"n": n, "keep": n % 2 == 0}) for n in range(5)])
    ch.put([Event(type="t", source="/s", data={"n": 9, "keep": False})])
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c", filter=keep)})
        await ch.wait(lambda: len(ch.acked) == 2)
        status = triggers.status()["t"]
        assert (status["events_in"], status["events_filtered"]) == (6, 3)
    assert [d["n"] for d in await _data(hub)] == [0, 2, 4]  # type: ignore[index]
    # A batch with nothing to submit still moves the source position on.
    assert await hub.store.get_checkpoint("memory:c") == "2"


async def _data(hub: Hub) -> list[object]:
    page = await hub.query(ListQuery(function="f"))
    return sorted((inv.event.data for inv in page.items), key=lambda d: d["n"])  # type: ignore[index]


async def test_backpressure_pauses_at_max_backlog_and_resumes(
    make_hub: MakeHub, make_set: MakeSet
) -> None:
    async with make_hub({"f": fn("hold")}, max_backlog=3) as hub:
        ch = channel("c")
        for n in range(6):
            ch.put(events(n))
        async with make_set(hub) as triggers:
            await triggers.start({"t": trigger("c")})
            await until(lambda: triggers.status()["t"]["state"] == "paused")
            assert len(ch.acked) == 3
            assert ch.items.qsize() == 3  # not read while paused
            assert triggers.status()["t"]["lag"] == 3.0
            functions.state.release.set()
            await ch.wait(lambda: len(ch.acked) == 6)
            await wait_recorded(6)
            # The last three submits filled the backlog again; it resumes once they ran.
            await until(lambda: triggers.status()["t"]["state"] == "connected")
            assert ch.pauses == ch.resumes >= 1
        assert await invocations(hub) == list(range(6))


async def test_reload_adds_removes_and_keeps_triggers_without_losing_invocations(
    make_hub: MakeHub, make_set: MakeSet
) -> None:
    async with make_hub({"f": fn("hold"), "g": fn()}) as hub:
        a, b, kept = channel("a"), channel("b"), channel("kept")
        a.put(events(1, 2, prefix="a"))
        kept.put(events(1, prefix="kept"))
        async with make_set(hub) as triggers:
            await triggers.start({"a": trigger("a"), "kept": trigger("kept", "g")})
            await a.wait(lambda: len(a.acked) == 1)
            await kept.wait(lambda: len(kept.acked) == 1)

            await triggers.apply({"b": trigger("b"), "kept": trigger("kept", "g")})
            assert (a.closes, kept.closes, kept.connects) == (1, 0, 1)
            assert set(triggers.status()) == {"b", "kept"}
            assert triggers.status()["kept"]["events_in"] == 1  # untouched, counters kept
            b.put(events(3, prefix="b"))
            await b.wait(lambda: len(b.acked) == 1)

            functions.state.release.set()
            await wait_recorded(4)
        assert await invocations(hub) == [1, 2, 3]


async def test_a_changed_trigger_is_restarted_with_its_new_config(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: ch.connects == 1)
        await triggers.apply({"t": trigger("c", "g")})
        await ch.wait(lambda: ch.connects == 2)
        assert ch.closes == 1
        ch.put(events(1))
        await ch.wait(lambda: len(ch.acked) == 1)
        assert triggers.status()["t"]["functions"] == ["g"]
    assert await invocations(hub, "g") == [1]
    assert await invocations(hub, "f") == []


async def test_disabled_and_unbuildable_triggers_do_not_stop_the_others(
    hub: Hub, make_set: MakeSet, registry: Registry
) -> None:
    registry.register(NEEDS_LIB)
    broken = NEEDS_LIB.config_model.model_validate(
        {"type": "needs-lib", "function": "f", "target": "x"}
    )
    ch = channel("c")
    ch.put(events(1))
    async with make_set(hub) as triggers:
        await triggers.start(
            {"off": trigger("c", enabled=False), "broken": broken, "ok": trigger("c")}
        )
        await ch.wait(lambda: len(ch.acked) == 1)
        status = triggers.status()
        assert status["off"]["state"] == "disabled"
        assert status["broken"]["state"] == "failed"
        assert "pip install 'triggerhub[kafka]'" in status["broken"]["last_error"]
        assert status["ok"]["state"] == "connected"


async def test_stop_closes_every_source_and_keeps_their_last_state(
    hub: Hub, make_set: MakeSet
) -> None:
    one, two = channel("one"), channel("two")
    async with make_set(hub) as triggers:
        await triggers.start({"one": trigger("one"), "two": trigger("two")})
        await one.wait(lambda: one.connects == 1)
        await two.wait(lambda: two.connects == 1)
        await triggers.stop()
        assert (one.closes, two.closes) == (1, 1)
        assert triggers.status() == {}


async def test_stop_lets_a_batch_being_submitted_finish(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    acking, proceed = asyncio.Event(), asyncio.Event()

    async def slow_ack() -> None:
        acking.set()
        await proceed.wait()

    ch.before_ack = slow_ack
    ch.put(events(1))
    ch.put(events(2))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await acking.wait()
        stopping = asyncio.create_task(triggers.stop())
        proceed.set()
        await stopping
        # Had stop cancelled the batch mid-ack, nothing would be acked; batch 2 is never read.
        assert (len(ch.acked), ch.closes, ch.items.qsize()) == (1, 1, 1)
    assert await invocations(hub) == [1]


async def test_unchanged_config_is_a_no_op(hub: Hub, make_set: MakeSet) -> None:
    ch = channel("c")
    configs = {"t": trigger("c")}
    async with make_set(hub) as triggers:
        await triggers.start(configs)
        await ch.wait(lambda: ch.connects == 1)
        await triggers.apply({"t": trigger("c")})  # equal, though a new object
        assert (ch.connects, ch.closes) == (1, 0)


async def test_an_event_the_store_could_never_hold_goes_to_on_failure_not_back_to_the_source(
    hub: Hub, make_set: MakeSet
) -> None:
    """A source (a Kafka value, an SQS record) can hand over JSON nested deeper than the hub can
    write, or a number beyond 64 bits: nacked, it would come back forever."""
    deep: object = "leaf"
    for _ in range(300):
        deep = {"a": deep}
    ch = channel("c")
    ch.put(
        [
            *events(1),
            Event(type="test.tick", source="/test", data=deep, idempotency_key="k-deep"),
            Event(type="test.tick", source="/test", data={"n": 2**70}, idempotency_key="k-big"),
        ]
    )
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 1)
        await wait_recorded(1)

        async def failed() -> list[object]:
            page = await hub.query(ListQuery(function="f", status=Status.FAILED))
            return sorted(inv.last_error or "" for inv in page.items)

        await until(lambda: _len_is(failed(), 2))
    assert ch.nacked == []
    errors = await failed()
    assert any("nests objects and arrays more than 128 levels" in str(e) for e in errors)
    assert any("cannot be written as JSON: Integer exceeds 64-bit range" in str(e) for e in errors)
    assert functions.state.recorded == [1]


async def _len_is(items: Awaitable[list[object]], count: int) -> bool:
    return len(await items) == count
