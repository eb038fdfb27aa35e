"""This daemon's view of what is paused, kept in step with the store.

The store is the truth (hub/store/pauses.py): a paused function's invocations are never
leased, on any daemon, from the pause's commit on. This view serves what must be known
without asking the store: the executor's last look before starting an attempt (an
invocation leased just before the pause goes back to its queue) and which triggers read.
It is refreshed at once on the daemon that changed it and by a short poll everywhere else,
so another daemon follows within `poll` seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from hub.errors import StoreError
from hub.store.operator import Pauses
from hub.store.pauses import PauseKind

log = structlog.get_logger("hub.control")
POLL = 0.5

TriggersChanged = Callable[[dict[str, float]], Awaitable[None]]
FunctionsResumed = Callable[[], None]


class PauseBook:
    def __init__(self, store: Pauses, poll: float = POLL) -> None:
        self._store = store
        self.poll = poll
        self.functions: dict[str, float] = {}
        """Paused function name to when it was paused."""
        self.triggers: dict[str, float] = {}
        self._on_triggers: list[TriggersChanged] = []
        self._on_resumed: list[FunctionsResumed] = []
        self._lock = asyncio.Lock()
        self._applying = asyncio.Lock()

    def function_paused(self, name: str) -> bool:
        return name in self.functions

    def on_triggers_changed(self, callback: TriggersChanged) -> None:
        """`await callback(paused triggers)` after the set of paused triggers changed."""
        self._on_triggers.append(callback)

    def on_functions_resumed(self, callback: FunctionsResumed) -> None:
        """`callback()` after a function was resumed: what was handed back may run now."""
        self._on_resumed.append(callback)

    def view(self, kind: PauseKind) -> dict[str, float]:
        return self.functions if kind == "function" else self.triggers

    async def pause(self, kind: PauseKind, name: str) -> float:
        """Pause it in the store, then here; returns when it was first paused."""
        at = await self._store.pause(kind, name)
        await self.refresh()
        return at

    async def resume(self, kind: PauseKind, name: str) -> None:
        if kind == "function":
            # Out of the view first: the resume wakes the dispatcher, whose leases must not
            # be handed back by an executor still seeing the function paused. (Local wake-up
            # is the store's; others' views learn it by their poll.)
            self.functions = {n: at for n, at in self.functions.items() if n != name}
        await self._store.resume(kind, name)
        await self.refresh()

    async def refresh(self) -> None:
        async with self._lock:
            paused = await self._store.paused()
            functions = {p.name: p.at for p in paused if p.kind == "function"}
            triggers = {p.name: p.at for p in paused if p.kind == "trigger"}
            resumed = bool(set(self.functions) - set(functions))
            triggers_changed = triggers != self.triggers
            self.functions, self.triggers = functions, triggers
            if resumed:
                for callback in self._on_resumed:
                    callback()
        if triggers_changed:
            # Outside the view's lock: stopping a trigger takes as long as its batch and its
            # close (up to the stop timeout), and meanwhile a function's pause must still
            # reach the executor. One application at a time, each of the newest state.
            async with self._applying:
                for on_triggers in self._on_triggers:
                    await on_triggers(dict(self.triggers))

    async def run(self) -> None:
        """Follow changes made through other daemons (or lost on the way here)."""
        failures = 0
        while True:
            await asyncio.sleep(self.poll)
            try:
                await self.refresh()
            except StoreError as exc:
                failures += 1
                if failures == 1 or failures % 100 == 0:
                    log.warning("reading the pause state failed", error=str(exc))
                continue
            failures = 0
