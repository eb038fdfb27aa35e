"""The function the timer tests invoke: it does nothing; the tests read the store."""

from __future__ import annotations

from hub import Event


async def noop(event: Event) -> None:
    return None
