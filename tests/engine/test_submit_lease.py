"""Submits that lease what they create (hub/store/submit_lease.py) beside the dispatcher's
own leases: everything runs, whichever of the two leased it."""

from __future__ import annotations

import asyncio

from hub import Event
from hub.status import Status
from tests.engine import functions
from tests.engine.conftest import MakeHub, fn


async def test_concurrent_submits_and_the_dispatcher_share_the_room(make_hub: MakeHub) -> None:
    # A small queue: submits hold room while the dispatcher waits for room, and a submit that
    # could lease nothing (older work was due) must still hand its room back to the dispatcher.
    async with make_hub({"e": fn("echo")}, queue_size=16, executors=4) as hub:
        batches = await asyncio.gather(*(hub.submit("e", _events(50)) for _ in range(12)))
        done = await asyncio.gather(
            *(hub.wait(sub.id, timeout=60) for batch in batches for sub in batch)
        )
    assert all(inv.status is Status.SUCCEEDED for inv in done)
    assert len(done) == 600 and sum(functions.calls.values()) == 600


def _events(n: int) -> list[Event]:
    return [Event(type="t", source="s", data=i) for i in range(n)]
