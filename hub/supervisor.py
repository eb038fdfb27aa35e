"""Every background loop starts here: a reference is kept, a crash is logged once and the loop
restarts after a capped, jittered backoff; cancellation is normal and passes through."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from hub.config.functions import Backoff
from hub.retry import compute_backoff

log = structlog.get_logger("hub.supervisor")
RESTART_BACKOFF = Backoff(initial=0.5, multiplier=2.0, max=30.0, jitter=True)


class Supervisor:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, factory: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._keep_running(name, factory), name=name)
        self._tasks[name] = task
        task.add_done_callback(
            lambda t: self._tasks.pop(name, None) if self._tasks.get(name) is t else None
        )
        return task

    async def _keep_running(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        failures = 0
        while True:
            try:
                await factory()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = compute_backoff(failures, RESTART_BACKOFF)
                log.error(
                    "task crashed; restarting",
                    task=name,
                    error=repr(exc),
                    failures=failures,
                    restart_in=round(delay, 3),
                    exc_info=exc,
                )
                await asyncio.sleep(delay)

    async def cancel(self, *names: str) -> None:
        tasks = (
            [self._tasks[n] for n in names if n in self._tasks]
            if names
            else list(self._tasks.values())
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
