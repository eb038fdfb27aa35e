"""The real daemon runs many timers ticking at the same instants, is killed with SIGKILL just
after one of them (while its ticks are being committed together, or just after) and is started
again: every tick acknowledged before the kill is in the store, each tick has exactly one
invocation, and the ticks the crash delayed (inside the grace) fire late rather than never."""

from __future__ import annotations

import asyncio
import math
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.store.base import ListQuery
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

TIMERS = 300
GRACE = 60  # a slow restart on a busy machine still comes back inside it


def write_config(tmp_path: Path, port: int) -> Path:
    (tmp_path / "ticked.py").write_text("async def noop(event):\n    return None\n")
    timer = f"type: timer, function: f, schedule: 'rate(1 second)', misfire_grace: {GRACE}s"
    triggers = "".join(f"  t{n}: {{{timer}}}\n" for n in range(TIMERS))
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store:
                url: sqlite:///{tmp_path}/hub.db
                lease_timeout: 2s
              api:
                listen: 127.0.0.1:{port}
              log: {{format: json}}
            functions:
              f:
                target: {{type: python, handler: "ticked:noop"}}
            triggers:
            """
        )
        + triggers
    )
    return config


async def events_in(daemon: Daemon) -> list[int]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{daemon.url}/v1/triggers") as response,
    ):
        body = await response.json()
    return [status["events_in"] for status in body.values()]


@pytest.mark.timeout(180)
async def test_sigkill_just_after_a_shared_instant_loses_no_acknowledged_tick(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    port = free_port()
    daemon = daemon_factory(write_config(tmp_path, port), tmp_path, api_port=port)
    daemon.start()

    async def ticked_twice() -> bool:
        return min(await events_in(daemon)) >= 2

    await until(ticked_twice, timeout=60)
    # Just after the next whole second: the instant's ticks are being submitted or committed.
    await asyncio.sleep(math.ceil(time.time()) - time.time() + 0.01)
    daemon.kill()
    killed_at = time.time()
    acknowledged = await checkpoints(tmp_path)
    daemon.start()

    async def ticked_again() -> bool:
        return min(await events_in(daemon)) >= 2

    await until(ticked_again, timeout=60)
    assert daemon.terminate() == 0
    assert time.time() - killed_at < GRACE, "the restart must come inside the grace"

    ticks = await tick_keys(tmp_path)
    last = await checkpoints(tmp_path)
    for n in range(TIMERS):
        mine = sorted(ticks[f"t{n}"])
        # Exactly one invocation per tick (no key twice), and no tick missing between the
        # first and the last: the ones delayed by the crash fired when it came back.
        assert len(mine) == len(set(mine))
        assert mine == list(range(mine[0], mine[-1] + 1000, 1000)), f"t{n}: {mine}"
        # What was acknowledged before the kill (its last-tick record) is there, and the
        # record moved on with the ticks.
        assert acknowledged[f"t{n}"] in mine
        assert last[f"t{n}"] == mine[-1]
    # They share their instants, and so their first and last ticks (within the one instant
    # the kill cut, some may be one tick ahead of the others).
    assert len({ticks[f"t{n}"][0] for n in range(TIMERS)}) == 1


async def checkpoints(tmp_path: Path) -> dict[str, int]:
    store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
    async with Hub(HubSettings(store=store), {}) as hub:
        found = {}
        for n in range(TIMERS):
            value = await hub.store.get_checkpoint(f"timer:t{n}")
            assert value is not None, f"t{n} never ticked"
            found[f"t{n}"] = int(value)
    return found


async def tick_keys(tmp_path: Path) -> dict[str, list[int]]:
    store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
    found: dict[str, list[int]] = {}
    async with Hub(HubSettings(store=store), {}) as hub:
        cursor = None
        while True:
            page = await hub.query(ListQuery(function="f", limit=1000, cursor=cursor))
            for inv in page.items:
                _, trigger, at = (inv.idempotency_key or "").split(":")
                found.setdefault(trigger, []).append(int(at))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    return {trigger: sorted(at) for trigger, at in found.items()}
