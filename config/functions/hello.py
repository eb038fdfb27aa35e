"""The example function: logs the event it gets and returns a greeting as its result."""

from __future__ import annotations

from typing import Any

import structlog

from hub import Event, NonRetryableError

log = structlog.get_logger("functions.hello")


async def handle(event: Event) -> dict[str, Any]:
    log.info("hello got an event", type=event.type, id=event.id, data=event.data)
    if isinstance(event.data, dict) and event.data.get("fail"):
        # Lets the quickstart show a failure reaching the dead-letter file.
        raise NonRetryableError(f"asked to fail: {event.data['fail']}")
    name = event.data.get("name", "world") if isinstance(event.data, dict) else "world"
    return {"greeting": f"hello, {name}", "event_type": event.type}
