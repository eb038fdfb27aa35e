from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub import Event, Hub
from hub.config.functions import Backoff, FunctionConfig
from hub.config.triggers import TriggerConfig
from hub.plugins import Registry
from hub.store.base import ListQuery
from tests.log_stream import functions
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory
from triggers.log_stream import KIND, LogStreamConfig

FAST = Backoff(initial=0.01, multiplier=2.0, max=0.05, jitter=False)
RECORD = FunctionConfig.model_validate(
    {"target": {"type": "python", "handler": "tests.log_stream.functions:record"}}
)


def log_trigger(**fields: Any) -> TriggerConfig:
    fields = {"type": "log_stream", "function": "f", "poll_interval": "20ms", **fields}
    return LogStreamConfig.model_validate(fields)


@pytest.fixture(autouse=True)
def _reset() -> None:
    functions.reset()


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(KIND)
    return registry


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    return hub_factory(tmp_path, {name: RECORD for name in ("f", "g", "h", "j")})


@pytest.fixture
async def hub(make_hub: MakeHub) -> AsyncIterator[Hub]:
    async with make_hub() as hub:
        yield hub


@pytest.fixture
def make_set(registry: Registry) -> MakeSet:
    return trigger_set_factory(registry, reconnect=FAST)


async def submitted(hub: Hub, function: str = "f") -> list[Event]:
    """Every event queued for `function` (tests write distinct lines, so sorted by data)."""
    page = await hub.query(ListQuery(function=function, limit=1000))
    return sorted((inv.event for inv in page.items), key=lambda e: str(e.data))


async def data(hub: Hub, function: str = "f") -> list[Any]:
    return [event.data for event in await submitted(hub, function)]
