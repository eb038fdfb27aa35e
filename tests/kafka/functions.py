"""Functions the Kafka tests invoke (python targets resolve them by import path)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hub import Event, NonRetryableError
from hub.events import INVALID_ATTR
from triggers.kafka.parse import INVALID_TYPE


class _State:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.running = 0
        self.most_at_once = 0


state = _State()


def reset() -> None:
    state.__init__()  # type: ignore[misc]


async def record(event: Event) -> Any:
    state.events.append(event)
    await asyncio.sleep(0)
    return {"seen": event.subject}


async def record_jittered(event: Event) -> Any:
    """Takes a varying time, so that unordered runs would finish out of order."""
    state.running += 1
    state.most_at_once = max(state.most_at_once, state.running)
    try:
        await asyncio.sleep(random.uniform(0, 0.004))
        return await record(event)
    finally:
        state.running -= 1


async def refuse_invalid(event: Event) -> Any:
    """What the README recommends: an invalid record goes to on_failure with its reason."""
    if event.type == INVALID_TYPE:
        raise NonRetryableError(event.extensions[INVALID_ATTR])
    return await record(event)
