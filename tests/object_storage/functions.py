"""Functions the object-storage tests invoke (python targets resolve them by import path)."""

from __future__ import annotations

import asyncio

from hub import Event
from hub.errors import NonRetryableError
from triggers.object_storage.parse import INVALID_TYPE


class _State:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.changed = asyncio.Condition()


state = _State()


def reset() -> None:
    state.__init__()  # type: ignore[misc]


async def record(event: Event) -> str:
    state.events.append(event)
    async with state.changed:
        state.changed.notify_all()
    return "ok"


async def refuse_invalid(event: Event) -> str:
    """What a user's function does with a message that is not a notification: refuse it for
    good, so the hub routes it to on_failure."""
    if event.type == INVALID_TYPE:
        raise NonRetryableError(f"not an object event: {event.data['reason']}")
    return await record(event)


async def wait_recorded(count: int, timeout: float = 15.0) -> list[Event]:
    async with asyncio.timeout(timeout), state.changed:
        await state.changed.wait_for(lambda: len(state.events) >= count)
    return list(state.events)
