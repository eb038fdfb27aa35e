"""Every background loop of a running hub and its triggers is started by the supervisor tree
rooted at the hub, so a crash of any of them is logged and the loop restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub import Event, Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry
from hub.status import Status
from hub.store.base import ListQuery
from hub.supervisor import Supervisor
from tests.engine.conftest import fn
from tests.servers.postgres import Database
from tests.waiting import until
from triggers.timer import TIMER
from triggers.timer.config import TimerConfig


def _unsupervised(supervisor: Supervisor) -> list[str]:
    current = asyncio.current_task()
    known = supervisor.tasks()
    return sorted(
        f"{t.get_name()}: {t.get_coro()!r}"
        for t in asyncio.all_tasks()
        if t is not current and t not in known
    )


@pytest.mark.timeout(30)
async def test_every_loop_of_a_hub_and_its_triggers_runs_under_the_supervisor(
    tmp_path: Path,
) -> None:
    registry = Registry()
    registry.register(TIMER)
    ticks = TimerConfig.model_validate(
        {"type": "timer", "function": "ok", "schedule": "rate(1 second)"}
    )
    settings = HubSettings(store=StoreSettings(url=f"sqlite:///{tmp_path}/hub.db"))
    async with Hub(settings, {"ok": fn("echo")}) as hub:
        triggers = TriggerSet(hub, registry)
        try:
            await triggers.start({"ticks": ticks})

            async def ran() -> bool:
                page = await hub.query(ListQuery(function="ok", status=Status.SUCCEEDED))
                return bool(page.items)

            await until(ran)
            running = hub.supervisor.running()
            for loop in (
                "dispatcher",
                "executor-0",
                "destinations",
                "purge",
                "purge-rates",
                "store/store-write-probe",
                "store/sqlite-checkpoint",
                "store/writer/committer",
                "intake/trigger:ticks",
                "intake/lease:trigger:ticks",
            ):
                assert loop in running, running
            assert _unsupervised(hub.supervisor) == []
        finally:
            await triggers.stop()
        assert "intake/lease:trigger:ticks" not in hub.supervisor.running()


@pytest.mark.postgres
@pytest.mark.timeout(60)
async def test_the_postgres_stores_listener_and_poll_run_under_the_supervisor(
    postgres_database: Database,
) -> None:
    settings = HubSettings(store=StoreSettings(url=postgres_database.url))
    async with Hub(settings, {"ok": fn("echo")}) as hub:
        [submitted] = await hub.submit("ok", [Event(type="t", source="s")])
        await hub.wait(submitted.id, timeout=20)
        running = hub.supervisor.running()
        assert {"store/pg-listen", "store/pg-safety-poll"} <= set(running), running
        assert _unsupervised(hub.supervisor) == []
