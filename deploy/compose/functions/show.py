"""The compose example's function: answers with what it received, so every trigger's events can
be seen in `triggerhub invocations show ID`; an event whose data has `"fail": "why"` fails
without retry, so its record lands in the on_failure destination (a Kafka topic)."""

from __future__ import annotations

from typing import Any

import structlog

from hub import Event, NonRetryableError

log = structlog.get_logger("functions.show")


async def handle(event: Event) -> dict[str, Any]:
    if isinstance(event.data, dict) and "fail" in event.data:
        raise NonRetryableError(f"asked to fail: {event.data['fail']}")
    log.info("event", type=event.type, source=event.source, subject=event.subject)
    return {"type": event.type, "source": event.source, "subject": event.subject}
