from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.triggers import TriggerConfig
from hub.plugins import Registry
from hub.store.base import ListQuery
from tests.log_stream.conftest import FAST
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory
from triggers.audit import KIND, AuditConfig

RECORD = FunctionConfig.model_validate(
    {"target": {"type": "python", "handler": "tests.log_stream.functions:record"}}
)


def audit_trigger(source: str, **fields: Any) -> TriggerConfig:
    return AuditConfig.model_validate(
        {"type": "audit", "source": source, "function": "f", **fields}
    )


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(KIND)
    return registry


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    return hub_factory(tmp_path, {"f": RECORD, "g": RECORD})


@pytest.fixture
async def hub(make_hub: MakeHub) -> AsyncIterator[Hub]:
    async with make_hub() as hub:
        yield hub


@pytest.fixture
def make_set(registry: Registry) -> MakeSet:
    return trigger_set_factory(registry, reconnect=FAST)


async def submitted(hub: Hub, function: str = "f") -> list[Event]:
    page = await hub.query(ListQuery(function=function, limit=10_000))
    return sorted((inv.event for inv in page.items), key=lambda e: e.id)


async def count(hub: Hub, function: str = "f") -> int:
    return len(await submitted(hub, function))
