"""The function the mongodb tests bind their triggers to: it records every event it gets."""

from __future__ import annotations

from hub import Event

received: list[Event] = []


def reset() -> None:
    received.clear()


async def record(event: Event) -> None:
    received.append(event)
