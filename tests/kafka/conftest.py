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
from tests.kafka import functions
from triggers.kafka import KAFKA, KafkaTriggerConfig
from triggers.kafka.destination import close_producers

FAST = Backoff(initial=0.01, multiplier=2.0, max=0.2, jitter=False)
MakeHub = Callable[..., AbstractAsyncContextManager[Hub]]
MakeSet = Callable[[Hub], AbstractAsyncContextManager[TriggerSet]]


def fn(handler: str = "record", **fields: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"tests.kafka.functions:{handler}"}, **fields}
    )


def kafka_trigger(bootstrap: str, function: str = "f", **fields: Any) -> TriggerConfig:
    return KafkaTriggerConfig.model_validate(
        {"type": "kafka", "bootstrap_servers": bootstrap, "function": function, **fields}
    )


@pytest.fixture(autouse=True)
async def _reset() -> AsyncIterator[None]:
    functions.reset()
    yield
    await close_producers()


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    @asynccontextmanager
    async def make(
        funcs: dict[str, FunctionConfig] | None = None, **settings: Any
    ) -> AsyncIterator[Hub]:
        store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
        funcs = funcs if funcs is not None else {"f": fn()}
        async with Hub(HubSettings(store=store, **settings), funcs) as hub:
            yield hub

    return make


@pytest.fixture
def make_set() -> MakeSet:
    registry = Registry()
    registry.register(KAFKA)

    @asynccontextmanager
    async def make(hub: Hub) -> AsyncIterator[TriggerSet]:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        try:
            yield triggers
        finally:
            await triggers.stop()

    return make
