from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from hub import Hub
from hub.config.functions import Backoff, FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.config.triggers import TriggerConfig
from hub.intake import TriggerSet
from hub.plugins import Registry
from tests.plugins import functions, memory
from tests.plugins.memory import MEMORY, MemoryConfig

FAST = Backoff(initial=0.01, multiplier=2.0, max=0.05, jitter=False)


def fn(handler: str = "record") -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"tests.plugins.functions:{handler}"}}
    )


def trigger(channel: str, function: str | list[str] = "f", **fields: Any) -> TriggerConfig:
    return MemoryConfig.model_validate(
        {"type": "memory", "channel": channel, "function": function, **fields}
    )


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(MEMORY)
    return registry


@pytest.fixture(autouse=True)
def _reset() -> None:
    functions.reset()
    memory.channels.clear()


MakeHub = Callable[..., AbstractAsyncContextManager[Hub]]


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    @asynccontextmanager
    async def make(
        funcs: dict[str, FunctionConfig] | None = None, **settings: Any
    ) -> AsyncIterator[Hub]:
        store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
        funcs = funcs if funcs is not None else {"f": fn(), "g": fn()}
        async with Hub(HubSettings(store=store, **settings), funcs) as hub:
            yield hub

    return make


@pytest.fixture
async def hub(make_hub: MakeHub) -> AsyncIterator[Hub]:
    async with make_hub() as hub:
        yield hub


@pytest.fixture
def make_set(registry: Registry) -> Callable[[Hub], AbstractAsyncContextManager[TriggerSet]]:
    @asynccontextmanager
    async def make(hub: Hub) -> AsyncIterator[TriggerSet]:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        try:
            yield triggers
        finally:
            await triggers.stop()

    return make
