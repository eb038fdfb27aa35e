"""Functions the AMQP tests invoke (python targets resolve them by import path)."""

from __future__ import annotations

import asyncio
from typing import Any

from hub import Event, NonRetryableError
from hub.events import INVALID_ATTR
from triggers.amqp.parse import INVALID_TYPE


class _State:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.changed = asyncio.Condition()


state = _State()


def reset() -> None:
    state.__init__()  # type: ignore[misc]


async def record(event: Event) -> Any:
    state.events.append(event)
    async with state.changed:
        state.changed.notify_all()
    return {"seen": event.id}


async def refuse_invalid(event: Event) -> Any:
    """What the README recommends: an invalid message goes to on_failure with its reason."""
    if event.type == INVALID_TYPE:
        raise NonRetryableError(event.extensions[INVALID_ATTR])
    return await record(event)


async def fail(event: Event) -> Any:
    raise NonRetryableError("refused on purpose")


async def wait_recorded(count: int, timeout: float = 60.0) -> list[Event]:
    async with asyncio.timeout(timeout), state.changed:
        await state.changed.wait_for(lambda: len(state.events) >= count)
    return state.events
