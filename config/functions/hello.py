"""The example function: logs the event it gets and returns a greeting as its result."""

from __future__ import annotations

from typing import Any

import structlog

from hub import Event, NonRetryableError

log = structlog.get_logger("functions.hello")
TIMER_TICK = "triggerhub.timer.tick"


async def handle(event: Event) -> dict[str, Any]:
    log.info("hello got an event", type=event.type, id=event.id, data=event.data)
    if isinstance(event.data, dict) and event.data.get("fail"):
        # Lets the quickstart show a failure reaching the dead-letter file.
        raise NonRetryableError(f"asked to fail: {event.data['fail']}")
    return {"greeting": f"hello, {_name(event)}", "event_type": event.type}


def _name(event: Event) -> str:
    """`name` from the event's data; a timer tick carries the trigger's own `data:` (here
    `{name: timer}`) in its data's `data`, next to the tick's times."""
    data = event.data
    if event.type == TIMER_TICK and isinstance(data, dict):
        data = data.get("data")
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name is not None else "world"
