from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub import Hub
from hub.config.functions import Backoff, FunctionConfig
from hub.config.triggers import TriggerConfig
from hub.plugins import Registry
from tests.plugins import functions, memory
from tests.plugins.memory import MEMORY, MemoryConfig
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory

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


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    return hub_factory(tmp_path, {"f": fn(), "g": fn()})


@pytest.fixture
async def hub(make_hub: MakeHub) -> AsyncIterator[Hub]:
    async with make_hub() as hub:
        yield hub


@pytest.fixture
def make_set(registry: Registry) -> MakeSet:
    return trigger_set_factory(registry, reconnect=FAST)
