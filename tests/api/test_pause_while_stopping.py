"""A trigger that takes its time to stop does not hold up a function's pause: the daemon's
view of paused functions (what the executor asks before each attempt) is not kept waiting
behind the trigger's stop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

import pytest

from hub import Hub
from hub.config.triggers import TriggerConfig
from hub.intake import TriggerSet
from hub.intake.inbox import InboxSource
from hub.plugins import Registry, SourceContext, TriggerKind
from tests.api.conftest import FUNCTIONS, hub_settings
from tests.support import FAST
from tests.waiting import until

CLOSING = 3.0


class SlowConfig(TriggerConfig):
    type: Literal["slowclose"] = "slowclose"


class SlowToClose(InboxSource):
    async def close(self) -> None:
        await asyncio.sleep(CLOSING)  # a source flushing and leaving its group, say
        await super().close()


def build(config: SlowConfig, context: SourceContext) -> InboxSource:
    return SlowToClose("slowclose", context.trigger, config)


@pytest.mark.timeout(60)
async def test_a_function_pause_is_seen_while_a_trigger_is_still_stopping(
    tmp_path: Path,
) -> None:
    registry = Registry()
    registry.register(TriggerKind("slowclose", SlowConfig, f"{__name__}:build"))
    configs = {"slow": SlowConfig.model_validate({"function": "echo"})}
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        hub.pauses.on_triggers_changed(triggers.set_paused)
        await triggers.start(configs)
        try:
            await until(lambda: triggers.status()["slow"]["state"] == "connected")
            pausing_trigger = asyncio.create_task(hub.pauses.pause("trigger", "slow"))
            await until(lambda: "slow" in hub.pauses.triggers)
            started = time.monotonic()
            await hub.pauses.pause("function", "echo")
            assert hub.pauses.function_paused("echo")
            assert time.monotonic() - started < CLOSING / 2
            assert not pausing_trigger.done()  # the trigger was indeed still stopping
            await pausing_trigger
            assert triggers.status()["slow"]["state"] == "paused"
        finally:
            await triggers.stop()
