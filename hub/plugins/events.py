"""The events a plugin builds besides its own: an invalid event, a batch event.

An invalid event stands for input a trigger read but could not make the event it claims to be
(a value over the payload limit, a body that contradicts its content type, a parser failure).
It is queued and acknowledged like any other, so its source moves on, and the executor sends it
straight to the function's on_failure with the reason it carries: nothing is dropped, nothing
cycles back through the source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.eventcheck import MAX_DATA_DEPTH, InvalidEvent, check_storable, contained
from hub.events import INVALID_ATTR, Event, WireEvent

OCTET_STREAM = "application/octet-stream"
JSON = "application/json"


def invalid_event(
    *,
    type: str,
    source: str,
    reason: str,
    data: Any = None,
    datacontenttype: str | None = OCTET_STREAM,
    subject: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    ordering_key: str | None = None,
    id: str | None = None,
) -> Event:
    """An event for input that could not become a proper one: `reason` goes to on_failure."""
    event = Event(
        type=type,
        source=source,
        subject=subject,
        data=data,
        datacontenttype=datacontenttype,
        extensions=dict(extensions or {}),
        idempotency_key=idempotency_key,
        ordering_key=ordering_key,
    )
    if id is not None:
        event.id = id
    return mark_invalid(event, reason)


def mark_invalid(event: Event, reason: str) -> Event:
    """Turns an event being built into an invalid one; returns it."""
    event.extensions[INVALID_ATTR] = reason
    return event


def invalid_reason(event: Event) -> str | None:
    """Why `event` is invalid, or None for a proper event."""
    reason = event.extensions.get(INVALID_ATTR)
    return None if reason is None else str(reason)


def written(event: Event) -> WireEvent:
    """`event`'s wire form, or its stand-in's when the hub could never store it (data nested
    too deep, a number beyond 64 bits): handed back to the source instead, it would stall it."""
    try:
        return check_storable(event)
    except InvalidEvent as exc:
        return WireEvent.of(contained(event, str(exc)))


def wire_form(event: Event, openings: int) -> Event | WireEvent:
    """For a source that hands out thousands of events a second: `event`'s wire form when one
    plain write makes it, else `event` itself, which intake checks like any other.

    `openings` bounds how deep the event's data and extensions nest: the count of `[` and `{`
    in the JSON text the source parsed the data from (every opening counted, those inside
    strings too, can only be more than the nesting). Within MAX_DATA_DEPTH one plain write is
    the whole check. What it does not vouch for is left to intake's full check, after the
    trigger's filter: a filter decides on the event as read, never on the stand-in of one the
    hub cannot store (which the filter would not know, and drop), and what it filters out is
    never checked."""
    if openings <= MAX_DATA_DEPTH:
        try:
            return WireEvent.of(event)
        except TypeError:  # orjson's JSONEncodeError: intake's check says what is wrong
            pass
    return event


def stand_in(event: Event, reason: str) -> Event:
    """An invalid event standing for `event`, which the hub could never store (data that is no
    JSON, attributes of the wrong type): what is valid of it, the data as capped JSON text."""
    return contained(event, reason)


def batch_event(
    members: Sequence[Event],
    *,
    type: str,
    source: str,
    idempotency_key: str,
    subject: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    ordering_key: str | None = None,
) -> Event:
    """Several events in one invocation, in the order read: `data` is the list of the member
    events as CloudEvents (each with its own id, subject, extensions and data), `time` the
    first member's. Every kind that batches (`batch: {size, window}`) sends this shape."""
    return Event(
        type=type,
        source=source,
        subject=subject,
        time=members[0].time,
        data=[member.to_dict() for member in members],
        datacontenttype=JSON,
        extensions=dict(extensions or {}),
        idempotency_key=idempotency_key,
        ordering_key=ordering_key,
    )
