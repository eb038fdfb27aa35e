from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.config.functions import FunctionConfig
from hub.config.triggers import TriggerConfig
from hub.plugins import Registry
from tests.amqp import functions
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory
from triggers.amqp import AMQP, AmqpTriggerConfig
from triggers.amqp.destination import close_publishers


def fn(handler: str = "record", **fields: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"tests.amqp.functions:{handler}"}, **fields}
    )


def amqp_trigger(url: str, function: str = "f", **fields: Any) -> TriggerConfig:
    return AmqpTriggerConfig.model_validate(
        {"type": "amqp", "url": url, "function": function, **fields}
    )


@pytest.fixture(autouse=True)
async def _reset() -> AsyncIterator[None]:
    functions.reset()
    yield
    await close_publishers()


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    return hub_factory(tmp_path, {"f": fn()})


@pytest.fixture
def make_set() -> MakeSet:
    registry = Registry()
    registry.register(AMQP)
    return trigger_set_factory(registry)
