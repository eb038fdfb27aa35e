"""Where an event brings the trace context it was sent in: the CloudEvents `traceparent`
extension, or the Kafka or AMQP message headers a trigger keeps as an extension; and the HTTP
`traceparent` header of a request, made the event's extension when tracing is on."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from hub.events import Event, WireEvent
from hub.telemetry.context import TRACEPARENT, TRACESTATE

# W3C Trace Context, version 00 (a later version's first four fields read the same); all-zero
# trace and span ids are invalid.
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")
_HEADER_EXTENSIONS = ("kafkaheaders", "amqpheaders")


def valid_traceparent(value: object) -> str | None:
    if isinstance(value, str) and _TRACEPARENT.match(value) and not value.startswith("ff"):
        return value
    return None


def incoming(attributes: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`(traceparent, tracestate)` an event came with, from its attributes (None, None when it
    came with none that is valid)."""
    found = valid_traceparent(attributes.get(TRACEPARENT))
    if found is not None:
        state = attributes.get(TRACESTATE)
        return found, state if isinstance(state, str) else None
    for name in _HEADER_EXTENSIONS:
        headers = attributes.get(name)
        if isinstance(headers, dict):
            found = valid_traceparent(headers.get(TRACEPARENT))
            if found is not None:
                state = headers.get(TRACESTATE)
                return found, state if isinstance(state, str) else None
    return None, None


def with_extensions(event: Event | WireEvent, values: Mapping[str, str]) -> WireEvent:
    """The event's wire form with these extension attributes set (a copy: the caller's event
    is left as it was)."""
    parsed = event.event if isinstance(event, WireEvent) else event
    updated = copy.copy(parsed)
    updated.extensions = {**parsed.extensions, **values}
    return WireEvent(bytes(memoryview(orjson.dumps(updated.to_dict()))), updated)


def _header_values(headers: Mapping[str, str]) -> dict[str, str] | None:
    header = valid_traceparent(headers.get(TRACEPARENT))
    if header is None:
        return None
    values = {TRACEPARENT: header}
    state = headers.get(TRACESTATE)
    if state:
        values[TRACESTATE] = state
    return values


def adopt_header(wire: WireEvent, headers: Mapping[str, str]) -> WireEvent:
    """The event of an invoke request, given the request's `traceparent` header (and
    `tracestate`) as its extension unless it brings its own."""
    values = _header_values(headers)
    if values is None or valid_traceparent(wire.extension(TRACEPARENT)) is not None:
        return wire
    return with_extensions(wire, values)


def adopt_header_in(events: Sequence[Event], headers: Mapping[str, str]) -> None:
    """The same for the events of a webhook request, set on them in place."""
    values = _header_values(headers)
    if values is None:
        return
    for event in events:
        if valid_traceparent(event.extensions.get(TRACEPARENT)) is None:
            event.extensions.update(values)
