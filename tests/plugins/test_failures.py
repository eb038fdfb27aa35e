"""Sources that give up (SourceFailed), reloads that start stopped triggers again, and the
optional detail/gaps reports, against a real Hub on a temporary SQLite file."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub import Event, Hub
from hub.intake import TriggerSet
from hub.intake.runner import TriggerRunner
from hub.metrics import Metrics
from hub.plugins import EndOfInput, Registry
from hub.plugins.contract import SourceFailed
from hub.store.base import ListQuery
from tests.plugins.conftest import trigger
from tests.plugins.functions import wait_recorded
from tests.plugins.memory import REPORTING, ReportingMemoryConfig, channel
from tests.support import MakeSet
from tests.waiting import until

REASON = "change stream history is gone (resume token expired); reset the position"


def events(*values: object, prefix: str) -> list[Event]:
    return [
        Event(
            type="test.tick", source="/test", data=f"{prefix}{v}", idempotency_key=f"{prefix}-{v}"
        )
        for v in values
    ]


def reporting(name: str, **fields: Any) -> ReportingMemoryConfig:
    return ReportingMemoryConfig.model_validate(
        {"type": "memory-reporting", "channel": name, "function": "f", **fields}
    )


async def invocations(hub: Hub) -> list[object]:
    page = await hub.query(ListQuery(function="f", limit=1000))
    return sorted(inv.event.data for inv in page.items)


def runner(triggers: TriggerSet, name: str) -> TriggerRunner:
    return triggers._runners[name]


async def wait_finished(triggers: TriggerSet, name: str) -> None:
    """The runner's task has returned: nothing is left that could connect its source again."""
    task = runner(triggers, name)._task
    assert task is not None
    await until(task.done, timeout=5)
    assert task.exception() is None


@pytest.fixture(autouse=True)
def _reporting_kind(registry: Registry) -> None:
    registry.register(REPORTING)


async def test_source_failed_on_read_stops_the_trigger_without_reconnecting(
    hub: Hub, make_set: MakeSet
) -> None:
    bad, good = channel("bad"), channel("good")
    bad.put(events(1, prefix="bad"))
    bad.put(SourceFailed(REASON))
    bad.put(events(2, prefix="bad"))  # would be read if the source were connected again
    good.put(events(1, prefix="good"))
    async with make_set(hub) as triggers:
        await triggers.start({"bad": trigger("bad"), "good": trigger("good")})
        await until(lambda: triggers.status()["bad"]["state"] == "failed", timeout=5)
        await wait_finished(triggers, "bad")
        status = triggers.status()["bad"]
        assert status["last_error"] == REASON
        assert (status["restarts"], status["events_in"]) == (0, 1)
        assert (bad.connects, bad.closes, len(bad.acked), bad.items.qsize()) == (1, 1, 1, 1)

        # The other trigger keeps running.
        await good.wait(lambda: len(good.acked) == 1)
        good.put(events(2, prefix="good"))
        await good.wait(lambda: len(good.acked) == 2)
        assert triggers.status()["good"]["state"] == "connected"
        assert (good.connects, good.closes) == (1, 0)
        assert (bad.connects, triggers.status()["bad"]["state"]) == (1, "failed")
        await wait_recorded(3)
    assert await invocations(hub) == ["bad1", "good1", "good2"]


async def test_source_failed_on_connect_stops_the_trigger_without_reconnecting(
    hub: Hub, make_set: MakeSet
) -> None:
    bad, good = channel("bad"), channel("good")
    bad.connect_errors = [SourceFailed(REASON)]
    bad.put(events(1, prefix="bad"))
    good.put(events(1, prefix="good"))
    async with make_set(hub) as triggers:
        await triggers.start({"bad": trigger("bad"), "good": trigger("good")})
        await until(lambda: triggers.status()["bad"]["state"] == "failed", timeout=5)
        await wait_finished(triggers, "bad")
        status = triggers.status()["bad"]
        assert (status["last_error"], status["restarts"], status["events_in"]) == (REASON, 0, 0)
        assert (bad.connects, bad.items.qsize(), bad.acked) == (1, 1, [])

        await good.wait(lambda: len(good.acked) == 1)
        assert triggers.status()["good"]["state"] == "connected"
        assert bad.connects == 1


async def test_a_reload_with_the_same_configs_starts_failed_and_ended_triggers_again(
    hub: Hub, make_set: MakeSet
) -> None:
    failed, ended, running = channel("failed"), channel("ended"), channel("running")
    failed.put(SourceFailed(REASON))
    ended.put(events(1, prefix="ended"))
    ended.put(EndOfInput())
    running.put(events(1, prefix="running"))
    async with make_set(hub) as triggers:
        await triggers.start(
            {"failed": trigger("failed"), "ended": trigger("ended"), "running": trigger("running")}
        )
        await until(lambda: triggers.status()["failed"]["state"] == "failed", timeout=5)
        await until(lambda: triggers.status()["ended"]["state"] == "ended", timeout=5)
        await running.wait(lambda: len(running.acked) == 1)
        assert (failed.connects, ended.connects, running.connects) == (1, 1, 1)

        # Equal configs, though new objects: only the triggers that stopped are started again.
        await triggers.apply(
            {"failed": trigger("failed"), "ended": trigger("ended"), "running": trigger("running")}
        )
        await until(lambda: (failed.connects, ended.connects) == (2, 2), timeout=5)
        await until(
            lambda: all(s["state"] == "connected" for s in triggers.status().values()), timeout=5
        )
        status = triggers.status()
        assert status["failed"]["last_error"] is None
        assert status["running"]["events_in"] == 1  # kept its counters
        assert (running.connects, running.closes) == (1, 0)

        for ch in (failed, ended, running):
            ch.put(events(2, prefix=ch.name))
        await failed.wait(lambda: len(failed.acked) == 1)
        await ended.wait(lambda: len(ended.acked) == 2)
        await running.wait(lambda: len(running.acked) == 2)
        assert triggers.status()["running"]["events_in"] == 2
        await wait_recorded(5)
    assert await invocations(hub) == ["ended1", "ended2", "failed2", "running1", "running2"]


async def test_a_reload_leaves_running_triggers_alone_when_nothing_stopped(
    hub: Hub, make_set: MakeSet
) -> None:
    ch = channel("c")
    ch.put(events(1, prefix="c"))
    async with make_set(hub) as triggers:
        await triggers.start({"t": trigger("c")})
        await ch.wait(lambda: len(ch.acked) == 1)
        first = runner(triggers, "t")
        await triggers.apply({"t": trigger("c")})
        assert runner(triggers, "t") is first
        assert (ch.connects, ch.closes, triggers.status()["t"]["events_in"]) == (1, 0, 1)


async def test_detail_and_gaps_come_from_sources_that_report_them(
    hub: Hub, make_set: MakeSet
) -> None:
    rich, plain = channel("rich"), channel("plain")
    rich.detail = {"position": "token-1", "next_tick": None}
    async with make_set(hub) as triggers:
        off = trigger("x", enabled=False)
        await triggers.start({"rich": reporting("rich"), "plain": trigger("plain"), "off": off})
        await until(lambda: rich.connects == 1 and plain.connects == 1, timeout=5)
        status = triggers.status()
        assert (status["rich"]["detail"], status["rich"]["gaps"]) == (
            {"position": "token-1", "next_tick": None},
            0,
        )
        for name in ("plain", "off"):
            assert (status[name]["detail"], status[name]["gaps"]) == (None, 0)

        # Read when the status is asked for, not once at start.
        rich.detail, rich.gaps = {"position": "token-2"}, 3
        status = triggers.status()
        assert (status["rich"]["detail"], status["rich"]["gaps"]) == ({"position": "token-2"}, 3)

        # A report that raises keeps the last value and does not break the status.
        rich.detail, rich.gaps = RuntimeError("detail broke"), RuntimeError("gaps broke")
        status = triggers.status()
        assert (status["rich"]["detail"], status["rich"]["gaps"]) == ({"position": "token-2"}, 3)
        assert status["rich"]["state"] == "connected"


async def test_the_gaps_metric_reads_the_trigger_status(hub: Hub, make_set: MakeSet) -> None:
    rich, plain = channel("rich"), channel("plain")
    rich.gaps = 2
    async with make_set(hub) as triggers:
        await triggers.start({"rich": reporting("rich"), "plain": trigger("plain")})
        await until(lambda: rich.connects == 1 and plain.connects == 1, timeout=5)
        text = Metrics().render({}, triggers.status).decode()
    gaps = {
        sample.labels["trigger"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "triggerhub_trigger_gaps"
        for sample in family.samples
        if sample.name == "triggerhub_trigger_gaps_total"
    }
    assert gaps == {"rich": 2.0, "plain": 0.0}
