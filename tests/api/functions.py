"""Functions the API tests invoke (python targets resolve them by import path)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hub import Event, NonRetryableError

calls: defaultdict[str, int] = defaultdict(int)


async def echo(event: Event) -> Any:
    """Returns the event exactly as the function received it."""
    return event.to_dict()


async def refuse_once(event: Event) -> Any:
    """Fails without retry on the first call for an event, succeeds when redriven."""
    calls[event.id] += 1
    if calls[event.id] == 1:
        raise NonRetryableError("refused the first time")
    return {"calls": calls[event.id]}


def reset() -> None:
    calls.clear()
