"""Every background loop starts here: a reference is kept, a crash is logged once and the loop
restarts after a capped, jittered backoff; cancellation is normal and passes through.

Supervisors form one tree rooted at the Hub's: each owner (the hub, its store, intake, the
daemon) starts its loops in its own group and stops them when it closes, in the order it needs
(the store's writer outlives the hub's loops), while `running()` names every loop of the
process in one place."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from hub.config.functions import Backoff
from hub.retry import compute_backoff

log = structlog.get_logger("hub.supervisor")
RESTART_BACKOFF = Backoff(initial=0.5, multiplier=2.0, max=30.0, jitter=True)

LoopFactory = Callable[[], Awaitable[None]]


class Supervisor:
    def __init__(self, name: str = "") -> None:
        self.name = name
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._groups: dict[str, Supervisor] = {}

    def group(self, name: str) -> Supervisor:
        """The child supervisor `name` (made on first use) for one owner's loops."""
        child = self._groups.get(name)
        if child is None:
            child = self._groups[name] = Supervisor(self._qualified(name))
        return child

    def adopt(self, name: str, child: Supervisor) -> None:
        """Place a supervisor made before its place in the tree was known (a store opened by
        whoever passed it in) under this one."""
        child.name = self._qualified(name)
        self._groups[name] = child

    def spawn(self, name: str, factory: LoopFactory) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(
            self._keep_running(name, factory), name=self._qualified(name)
        )
        self._tasks[name] = task
        task.add_done_callback(
            lambda t: self._tasks.pop(name, None) if self._tasks.get(name) is t else None
        )
        return task

    def running(self) -> list[str]:
        """The qualified names of every loop running here and in the groups below."""
        names = [self._qualified(name) for name in self._tasks]
        for child in self._groups.values():
            names += child.running()
        return sorted(names)

    def tasks(self) -> set[asyncio.Task[None]]:
        """The tasks of every loop running here and in the groups below."""
        found = set(self._tasks.values())
        for child in self._groups.values():
            found |= child.tasks()
        return found

    def _qualified(self, name: str) -> str:
        return f"{self.name}/{name}" if self.name else name

    async def _keep_running(self, name: str, factory: LoopFactory) -> None:
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
                    task=self._qualified(name),
                    error=repr(exc),
                    failures=failures,
                    restart_in=round(delay, 3),
                    exc_info=exc,
                )
                await asyncio.sleep(delay)

    async def cancel(self, *names: str) -> None:
        """Stop the named loops of this supervisor (all of them without names); the groups
        below are stopped by their own owners."""
        tasks = (
            [self._tasks[n] for n in names if n in self._tasks]
            if names
            else list(self._tasks.values())
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
