from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from hub import Hub, Invocation
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry
from hub.store.base import ListQuery
from tests.plugins.conftest import FAST
from tests.timer import clock as manual
from tests.timer.clock import MANUAL_TIMER, ManualClock
from tests.waiting import until
from triggers.timer import TIMER
from triggers.timer.config import TimerConfig

MakeHub = Callable[[], AbstractAsyncContextManager[Hub]]
MakeSet = Callable[[Hub], AbstractAsyncContextManager[TriggerSet]]
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def timer(schedule: str, function: str | list[str] = "f", **fields: Any) -> TimerConfig:
    return TimerConfig.model_validate(
        {"type": "timer", "function": function, "schedule": schedule, **fields}
    )


def noop() -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": "tests.timer.functions:noop"}}
    )


async def invocations(hub: Hub, function: str = "f") -> list[Invocation]:
    page = await hub.query(ListQuery(function=function, limit=1000))
    return sorted(page.items, key=lambda inv: inv.idempotency_key or "")


async def keys(hub: Hub, function: str = "f") -> list[str]:
    return [inv.idempotency_key or "" for inv in await invocations(hub, function)]


def key(seconds: float, trigger: str = "t") -> str:
    return f"timer:{trigger}:{round(seconds * 1000)}"


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    """A new Hub on the same SQLite file each time: a daemon stopped and started again."""

    @asynccontextmanager
    async def make() -> AsyncIterator[Hub]:
        store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
        async with Hub(HubSettings(store=store), {"f": noop(), "g": noop()}) as hub:
            yield hub

    return make


@pytest.fixture
async def hub(make_hub: MakeHub) -> AsyncIterator[Hub]:
    async with make_hub() as hub:
        yield hub


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[ManualClock]:
    manual.current = ManualClock(T0 + 0.5)
    monkeypatch.setattr("hub.clock.now", manual.current.now)
    yield manual.current
    manual.current = None


def _registry(real_time: bool) -> Registry:
    registry = Registry()
    registry.register(TIMER if real_time else MANUAL_TIMER)
    return registry


def _make_set(registry: Registry) -> MakeSet:
    @asynccontextmanager
    async def make(hub: Hub) -> AsyncIterator[TriggerSet]:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        try:
            yield triggers
        finally:
            await triggers.stop()

    return make


@pytest.fixture
def make_set(clock: ManualClock) -> MakeSet:
    """Trigger sets whose timers sleep on the manual clock."""
    return _make_set(_registry(real_time=False))


@pytest.fixture
def make_real_set() -> MakeSet:
    """Trigger sets whose timers run on the real clock and the event loop's timer."""
    return _make_set(_registry(real_time=True))


async def step(clock: ManualClock, to: float, sleepers: int = 1) -> None:
    """Move the clock to `to` and wait until the timers have handed over (and the hub has
    committed) everything due by then, and sleep again."""
    await clock.set(to)
    await until(lambda: clock.settled(sleepers))
