"""The embedded example (config/triggers.yaml): its timer's tick runs through the example
function and the greeting names what the timer's `data:` says."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import Hub
from hub.config.loader import load_config
from hub.config.settings import HubSettings, StoreSettings
from tests.timer.clock import ManualClock
from tests.timer.conftest import T0, MakeSet, invocations, step

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "triggers.yaml"


async def test_the_example_timer_greets_by_the_name_in_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock, make_set: MakeSet
) -> None:
    monkeypatch.chdir(tmp_path)  # the example's relative paths (dead-letter file) land here
    monkeypatch.syspath_prepend(str(EXAMPLE.parent))  # as the daemon imports its handlers
    example = load_config(EXAMPLE, env={})
    heartbeat = example.triggers["heartbeat"]
    store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
    async with Hub(HubSettings(store=store), example.functions) as hub:
        async with make_set(hub) as triggers:
            await triggers.start({"heartbeat": heartbeat})
            await step(clock, T0 + 60)  # the example ticks every minute, on the minute
        [tick] = await invocations(hub, "hello")
        done = await hub.wait(tick.id, timeout=10)
    assert tick.event.type == "triggerhub.timer.tick"
    assert done.status == "succeeded", done.last_error
    assert done.response == {"greeting": "hello, timer", "event_type": "triggerhub.timer.tick"}
