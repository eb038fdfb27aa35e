"""What an event must be before the hub takes it: attributes of the CloudEvents types, and
data the hub can write as JSON wherever the event travels later.

A JSON parser takes far deeper nesting than a writer: orjson reads 1024 levels but writes at
most 254, and the hub writes an event inside other documents (an invocation record, a page of
them, a destination record whose event a follow-up invocation carries again). Refusing what
cannot be written when it arrives is what lets the sender hear why; refused later, it would be
an acknowledged event that can never run."""

from __future__ import annotations

import json
from typing import Any

import orjson

from hub.events import (
    IDEMPOTENCY_ATTR,
    INVALID_ATTR,
    ORDERING_ATTR,
    SPECVERSION,
    Event,
    WireEvent,
)
from hub.ids import new_id

MAX_DATA_DEPTH = 128
"""Levels of nested objects and arrays an event's data may have. Leaves room under orjson's 254
for the documents that carry the event: a page of invocation records (4 levels) and a chain of
60 function destinations (2 levels each)."""

# CloudEvents 1.0 type system in the JSON format: Boolean, Integer (signed 32 bits), and
# String, Binary, URI, URI-reference and Timestamp, all JSON strings. Never an object or list.
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_OPTIONAL_STRINGS = ("subject", "time", "datacontenttype", "dataschema")
_ORJSON_MAX_DEPTH = 254
_DEPTH_PROBE = _ORJSON_MAX_DEPTH - MAX_DATA_DEPTH - 1
# Lists nested _DEPTH_PROBE deep, built once; the event goes into the innermost for one write.
_PROBE_SLOT: list[Any] = [None]
_PROBE: list[Any] = _PROBE_SLOT
for _ in range(_DEPTH_PROBE - 1):
    _PROBE = [_PROBE]


class InvalidEvent(ValueError):
    """The event can never be stored or delivered; the message says what is wrong with it."""


def check_event(event: Event) -> WireEvent:
    """The event in its wire form, the JSON that proves it can be written and that the hub
    carries from then on; raises InvalidEvent naming the first thing wrong with `event`."""
    for name in ("id", "source", "type"):
        if not isinstance(getattr(event, name), str) or not getattr(event, name):
            raise InvalidEvent(f"CloudEvent attribute {name!r} must be a non-empty string")
    if event.specversion != SPECVERSION:
        raise InvalidEvent(f"CloudEvent attribute 'specversion' must be {SPECVERSION!r}")
    for name in _OPTIONAL_STRINGS:
        if getattr(event, name) is not None and not isinstance(getattr(event, name), str):
            raise InvalidEvent(f"CloudEvent attribute {name!r} must be a string")
    for name, key in (
        (IDEMPOTENCY_ATTR, event.idempotency_key),
        (ORDERING_ATTR, event.ordering_key),
    ):
        if key is not None and (not isinstance(key, str) or not key):
            raise InvalidEvent(f"CloudEvent attribute {name!r} must be a non-empty string")
    for name, value in event.extensions.items():
        _check_extension(name, value)
    return check_storable(event)


def check_storable(event: Event) -> WireEvent:
    """The event's wire form; raises InvalidEvent when it cannot be written as JSON inside the
    documents that carry it: data nested deeper than MAX_DATA_DEPTH, an integer beyond 64 bits,
    a key that is no string. Events a trigger builds are held to this alone (their extensions
    may carry 64-bit integers such as Kafka timestamps)."""
    document = event.to_dict()
    # Most events cannot nest deeply: a JSON text with no more brackets than MAX_DATA_DEPTH + 1
    # (the event object's own included) cannot nest deeper, so its plain write is the wire
    # form. Only the rest, or an event the plain write refuses, pays for the probe below.
    try:
        plain = orjson.dumps(document)
    except orjson.JSONEncodeError:
        pass
    else:
        if plain.count(b"[") + plain.count(b"{") <= MAX_DATA_DEPTH + 1:
            # A compact copy, not orjson's whole write buffer (see below).
            return WireEvent(bytes(memoryview(plain)), event)
    # One write at C speed checks everything: orjson refuses more than 254 levels, so the event
    # object (one level) wrapped in the right number of lists fails exactly when its data nests
    # deeper than MAX_DATA_DEPTH.
    _PROBE_SLOT[0] = document
    try:
        written = orjson.dumps(_PROBE)
    except orjson.JSONEncodeError as exc:
        if str(exc) == "Recursion limit reached":
            raise InvalidEvent(
                f"the event data nests objects and arrays more than {MAX_DATA_DEPTH} levels deep"
            ) from None
        raise InvalidEvent(f"the event cannot be written as JSON: {exc}") from None
    finally:
        _PROBE_SLOT[0] = None
    # The event's own JSON, cut out of the probe's lists: the wire form, written once (and a
    # compact copy, not orjson's whole write buffer, since thousands wait for their commit).
    return WireEvent(written[_DEPTH_PROBE:-_DEPTH_PROBE], event)


def _check_extension(name: str, value: Any) -> None:
    if isinstance(value, str | bool):
        return
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidEvent(
                f"CloudEvent extension attribute {name!r} is an integer out of the signed "
                "32-bit range"
            )
        return
    raise InvalidEvent(
        f"CloudEvent extension attribute {name!r} must be a string, an integer or a boolean, "
        f"not {_json_type(value)}"
    )


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, float):
        return "a number with a fraction"
    if value is None:
        return "null"
    return type(value).__name__


MAX_CONTAINED_BYTES = 256 * 1024
"""How much of an unstorable event's data its stand-in keeps, as JSON text."""


def contained(event: Event, reason: str) -> Event:
    """A stand-in for an event a trigger read but the hub could never store: the attributes that
    are valid, the data as (capped) JSON text, and `reason` in the invalid-event extension, so it
    is queued and acknowledged like any other and goes straight to on_failure. A pulled source
    (a partition, a queue) would otherwise be handed the same event back forever."""
    extensions: dict[str, Any] = {INVALID_ATTR: reason}
    for name, value in event.extensions.items():
        try:
            _check_extension(name, value)
        except InvalidEvent:
            continue
        extensions.setdefault(name, value)

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) and value else None

    return Event(
        id=text(event.id) or new_id(),
        source=text(event.source) or "triggerhub:invalid",
        type=text(event.type) or "triggerhub.invalid",
        subject=text(event.subject),
        time=text(event.time),
        data=_as_text(event.data)[:MAX_CONTAINED_BYTES].encode(),
        datacontenttype="application/octet-stream",
        extensions=extensions,
        idempotency_key=text(event.idempotency_key),
        ordering_key=text(event.ordering_key),
    )


def _as_text(data: Any) -> str:
    """The data as JSON text. The standard library's writer takes nesting orjson refuses (its
    limit is the interpreter's recursion limit); past that, or for what is no JSON at all, the
    repr is what is left to show."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data).decode("utf-8", "replace")
    try:
        return json.dumps(data, default=repr)
    except (RecursionError, ValueError, TypeError):
        return repr(data)[:MAX_CONTAINED_BYTES]
