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

# W3C Trace Context: version 00 is exactly these four fields; a later version (not ff) starts
# with them and may go on after a "-". All-zero trace and span ids are invalid.
_TRACEPARENT = re.compile(
    r"(?!ff)(?P<version>[0-9a-f]{2})-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}"
    r"(?P<rest>-[^\x00-\x1f\x7f]*)?"
)
# A tracestate list member (key=value; keys simple or tenant@system), empty members allowed,
# at most 32 of them, and the whole kept within the 512 characters every vendor passes on.
_TRACESTATE_MEMBER = re.compile(
    r"(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})"
    r"=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]"
)
MAX_LENGTH = 512
_HEADER_EXTENSIONS = ("kafkaheaders", "amqpheaders")


def valid_traceparent(value: object) -> str | None:
    """`value` if it is a W3C `traceparent`, else None: anything else a sender puts there is
    neither stored nor passed on."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    found = _TRACEPARENT.fullmatch(value)
    if found is None or (found["version"] == "00" and found["rest"] is not None):
        return None
    return value


def valid_tracestate(value: object) -> str | None:
    """`value` if it is a W3C `tracestate` of at most 512 characters, else None."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    members = [member.strip(" \t") for member in value.split(",")]
    if len(members) > 32 or not all(
        not member or _TRACESTATE_MEMBER.fullmatch(member) for member in members
    ):
        return None
    return value


def incoming(attributes: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`(traceparent, tracestate)` an event came with, from its attributes (None, None when it
    came with none that is valid)."""
    found = valid_traceparent(attributes.get(TRACEPARENT))
    if found is not None:
        return found, valid_tracestate(attributes.get(TRACESTATE))
    for name in _HEADER_EXTENSIONS:
        headers = attributes.get(name)
        if isinstance(headers, dict):
            found = valid_traceparent(headers.get(TRACEPARENT))
            if found is not None:
                return found, valid_tracestate(headers.get(TRACESTATE))
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
    state = valid_tracestate(headers.get(TRACESTATE))
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
