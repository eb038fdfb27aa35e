from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.config.functions import FunctionConfig
from hub.config.triggers import TriggerConfig
from hub.plugins import Registry
from tests.kafka import functions
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory
from triggers.kafka import KAFKA, KafkaTriggerConfig
from triggers.kafka.destination import close_producers


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
    return hub_factory(tmp_path, {"f": fn()})


@pytest.fixture
def make_set() -> MakeSet:
    registry = Registry()
    registry.register(KAFKA)
    return trigger_set_factory(registry)
