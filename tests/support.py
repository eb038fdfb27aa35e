"""Fixture factories the trigger test suites share: a Hub on a temporary SQLite file and a
TriggerSet with fast reconnects, both torn down in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from hub import Hub
from hub.config.functions import Backoff, FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry

FAST = Backoff(initial=0.01, multiplier=2.0, max=0.2, jitter=False)
MakeHub = Callable[..., AbstractAsyncContextManager[Hub]]
MakeSet = Callable[[Hub], AbstractAsyncContextManager[TriggerSet]]


def hub_factory(tmp_path: Path, defaults: Mapping[str, FunctionConfig]) -> MakeHub:
    """`make(funcs=None, **hub_settings)`: a started Hub with `defaults` unless told otherwise."""

    @asynccontextmanager
    async def make(
        funcs: Mapping[str, FunctionConfig] | None = None, **settings: Any
    ) -> AsyncIterator[Hub]:
        store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
        chosen = dict(defaults) if funcs is None else dict(funcs)
        async with Hub(HubSettings(store=store, **settings), chosen) as hub:
            yield hub

    return make


def trigger_set_factory(registry: Registry, reconnect: Backoff = FAST) -> MakeSet:
    @asynccontextmanager
    async def make(hub: Hub) -> AsyncIterator[TriggerSet]:
        triggers = TriggerSet(hub, registry, reconnect=reconnect, backlog_refresh=0.02)
        try:
            yield triggers
        finally:
            await triggers.stop()

    return make
