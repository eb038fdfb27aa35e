"""Functions the runtime tests invoke (python targets resolve them by import path)."""

from __future__ import annotations

import asyncio
from typing import Any

from hub import Event


class _State:
    def __init__(self) -> None:
        self.recorded: list[Any] = []
        self.changed = asyncio.Condition()
        self.release = asyncio.Event()


state = _State()


def reset() -> None:
    state.__init__()  # type: ignore[misc]


async def record(event: Event) -> Any:
    state.recorded.append(event.data)
    async with state.changed:
        state.changed.notify_all()


async def hold(event: Event) -> Any:
    """Runs until the test sets `state.release`: keeps invocations in the backlog."""
    await state.release.wait()
    return await record(event)


async def wait_recorded(count: int) -> None:
    async with state.changed:
        await state.changed.wait_for(lambda: len(state.recorded) >= count)
