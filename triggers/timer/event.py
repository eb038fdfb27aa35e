"""One tick as a CloudEvent. Pure: the same tick always gets the same time and idempotency
key, whichever daemon or restart produces it."""

from __future__ import annotations

from typing import Any

from hub.events import Event
from triggers.timer.times import rfc3339_ms, seconds_to_ms

TYPE = "triggerhub.timer.tick"


def idempotency_key(trigger: str, scheduled_ms: int) -> str:
    return f"timer:{trigger}:{scheduled_ms}"


def tick_event(
    trigger: str,
    schedule: str,
    user_data: Any,
    scheduled_ms: int,
    fired_at: float,
    missed: int | None = None,
) -> Event:
    scheduled = rfc3339_ms(scheduled_ms)
    data: dict[str, Any] = {
        "scheduled_time": scheduled,
        "fire_time": rfc3339_ms(seconds_to_ms(fired_at)),
        "trigger": trigger,
        "schedule": schedule,
        "data": user_data,
    }
    if missed is not None:
        data["missed"] = missed
    return Event(
        type=TYPE,
        source=f"triggerhub/timer/{trigger}",
        subject=trigger,
        time=scheduled,
        datacontenttype="application/json",
        data=data,
        idempotency_key=idempotency_key(trigger, scheduled_ms),
    )
