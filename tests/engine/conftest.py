from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from hub import Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from tests.engine import functions

FAST = {"initial": 0.01, "multiplier": 2.0, "max": 0.05, "jitter": False}


def fn(handler: str, **settings: Any) -> FunctionConfig:
    settings.setdefault("retry_backoff", FAST)
    return FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"tests.engine.functions:{handler}"}, **settings}
    )


MakeHub = Callable[..., AbstractAsyncContextManager[Hub]]


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    functions.reset()

    @asynccontextmanager
    async def make(functions_: dict[str, FunctionConfig], **settings: Any) -> AsyncIterator[Hub]:
        store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db", **settings.pop("store", {}))
        async with Hub(HubSettings(store=store, **settings), functions_) as hub:
            yield hub

    return make
