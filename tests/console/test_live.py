"""Live updates are coalesced: a burst of invocations is at most one update a second."""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp
import pytest

from tests.console.conftest import TOKEN, Api
from tests.servers.daemon import Daemon

pytestmark = pytest.mark.timeout(60)
WATCH = 3.0  # seconds the stream is watched after the burst


async def test_a_burst_of_invocations_is_at_most_one_update_a_second(
    console_daemon: Daemon, api: Api
) -> None:
    changes: list[float] = []
    changed = asyncio.Event()
    cookies = {"triggerhub_session": TOKEN}
    async with (
        aiohttp.ClientSession(cookies=cookies) as session,
        session.get(console_daemon.url + "/ui/live") as stream,
    ):
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")

        async def read() -> None:
            async for line in stream.content:
                if line.startswith(b"event: change"):
                    changes.append(time.monotonic())
                    changed.set()

        reader = asyncio.create_task(read())
        try:
            await asyncio.wait_for(changed.wait(), 10)  # the first state, sent at once
            changed.clear()
            start = time.monotonic()
            burst = [asyncio.to_thread(api.invoke, "echo", {"n": n}) for n in range(200)]
            await asyncio.gather(*burst)
            await asyncio.wait_for(changed.wait(), 10)  # the burst is seen
            with pytest.raises(TimeoutError):  # and the stream is watched a while longer
                await asyncio.wait_for(asyncio.shield(reader), WATCH)
        finally:
            reader.cancel()
    during = [t for t in changes if t >= start]
    assert during, "no update arrived for 200 new invocations"
    # 200 invocations submitted, started and finished: never an update per event.
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert all(gap > 0.9 for gap in gaps), gaps


async def test_the_live_stream_needs_a_session(console_daemon: Daemon) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(console_daemon.url + "/ui/live") as response,
    ):
        assert response.status == 401
