"""One cloud invocation request → one of the hub's invocations, through `Hub.submit`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub import clock
from hub.api.clouds.errors import CloudError
from hub.api.ingest import admit
from hub.api.state import context
from hub.config.functions import FunctionConfig
from hub.engine import Submitted
from hub.events import Event
from hub.ids import new_id
from hub.telemetry.carriers import adopt_header_in
from hub.timefmt import to_rfc3339


@dataclass(slots=True)
class CloudCall:
    """What a cloud's invoke request asks for, in the hub's terms."""

    function: str
    event_type: str
    source: str
    data: Any
    datacontenttype: str | None
    idempotency_key: str | None = None
    delay: float | None = None
    not_before: float | None = None
    extensions: dict[str, Any] = field(default_factory=dict)


def function_config(request: web.Request, name: str, unknown_code: str) -> FunctionConfig:
    config = context(request).hub.functions.get(name)
    if config is None:
        raise CloudError(404, f"no function named {name!r}", unknown_code)
    return config


async def submit(request: web.Request, call: CloudCall) -> Submitted:
    """Durably queued when this returns; a repeated idempotency key returns the first one."""
    event = Event(
        id=new_id(),
        type=call.event_type,
        source=call.source,
        time=to_rfc3339(clock.now()),
        data=call.data,
        datacontenttype=call.datacontenttype if call.data is not None else None,
        extensions=dict(call.extensions),
        idempotency_key=call.idempotency_key,
    )
    hub = context(request).hub
    if hub.telemetry is not None:
        adopt_header_in([event], request.headers)
    wires = admit([event])  # the event's wire form, written once
    try:
        [submitted] = await hub.submit(
            call.function, wires, delay=call.delay, not_before=call.not_before, source="api"
        )
    except ValueError as exc:
        raise CloudError(400, str(exc)) from None
    return submitted
