"""Running attempts stopped by another daemon: a stop, a `cancel_on` event or a singleton in
cancel mode may be committed by any daemon sharing the store, but only the one running the
attempt can cancel it. Each daemon looks now and then whether one of its running attempts was
stopped and cancels it, as a stop it committed itself would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

from hub.flow.protocol import FlowIntake

LOOK_EVERY = 1.0


async def watch_stops(
    store: FlowIntake,
    running: Callable[[], Collection[str]],
    cancel: Callable[[str], bool],
    every: float = LOOK_EVERY,
) -> None:
    while True:
        await asyncio.sleep(every)
        ids = list(running())
        if ids:
            for inv_id in await store.stopped_among(ids):
                cancel(inv_id)
