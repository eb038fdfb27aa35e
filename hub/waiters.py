"""Who waits for which invocation to become final: `Hub.wait` parks here and `notify` wakes
it; waiters also look again now and then, since another daemon sharing the store may finish
the invocation without this one hearing of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from hub.invocation import Invocation

LOOK_AGAIN_EVERY = 1.0


class Waiters:
    def __init__(self) -> None:
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    async def wait(
        self,
        invocation_id: str,
        get: Callable[[str], Awaitable[Invocation]],
        timeout: float | None,
    ) -> Invocation:
        async with asyncio.timeout(timeout):
            while True:
                fut = asyncio.get_running_loop().create_future()
                self._waiting.setdefault(invocation_id, []).append(fut)
                inv = await get(invocation_id)
                if inv.status.final:
                    self._forget(invocation_id, fut)
                    return inv
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(LOOK_AGAIN_EVERY):
                        await fut
                self._forget(invocation_id, fut)

    def notify(self, invocation_id: str) -> None:
        for fut in self._waiting.pop(invocation_id, ()):
            if not fut.done():
                fut.set_result(None)

    def _forget(self, invocation_id: str, fut: asyncio.Future[None]) -> None:
        waiters = self._waiting.get(invocation_id)
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._waiting[invocation_id]
