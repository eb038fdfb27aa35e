"""Turn an invocation request into the CloudEvent the function receives.

Three ways in for one event, as in the CloudEvents HTTP binding: a structured event
(`Content-Type: application/cloudevents+json`), a binary-mode event (`ce-*` headers, the body
is the data), or a plain body that the hub wraps in an event of its own. A batch
(`application/cloudevents-batch+json`) is hub/api/batch.py's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import orjson
from multidict import CIMultiDictProxy

from hub import clock
from hub.api.errors import ApiError
from hub.api.text import is_text
from hub.eventcheck import InvalidEvent, check_event
from hub.events import (
    EXTENSION_NAME_RE,
    IDEMPOTENCY_ATTR,
    ORDERING_ATTR,
    Event,
    EventFormatError,
    WireEvent,
)
from hub.ids import new_id
from hub.timefmt import parse_rfc3339, to_rfc3339

INVOKE_TYPE = "triggerhub.http.invoke"
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 256
_CE_PREFIX = "ce-"
# In binary mode Content-Type is the data content type; data travels in the body, and the
# idempotency key has a header of its own.
_CE_IGNORED = frozenset({"specversion", "datacontenttype"})
_CE_REFUSED = {
    "data": "the data is the request body",
    "idempotencykey": "send the key as the Idempotency-Key header",
}
# A ce-* header value as the HTTP binding has it: printable ASCII, and percent-encoding (of '%'
# itself too) for anything else, which must decode to UTF-8 text without NUL. Written out as a
# pattern so the OpenAPI document states the very rule the server applies.
_C = "%[89ABab][0-9A-Fa-f]"  # a UTF-8 continuation byte
_ESCAPE = (
    "%0[1-9A-Fa-f]|%[1-7][0-9A-Fa-f]"
    f"|%[Cc][2-9A-Fa-f]{_C}|%[Dd][0-9A-Fa-f]{_C}"
    f"|%[Ee]0%[AaBb][0-9A-Fa-f]{_C}|%[Ee][1-9A-Ca-cEeFf]{_C}{_C}|%[Ee][Dd]%[89][0-9A-Fa-f]{_C}"
    f"|%[Ff]0%(?:9|[AaBb])[0-9A-Fa-f]{_C}{_C}|%[Ff][1-3]{_C}{_C}{_C}|%[Ff]4%8[0-9A-Fa-f]{_C}{_C}"
)
_UNIT = f"(?:[\\x21-\\x24\\x26-\\x7e]|{_ESCAPE})"
CE_VALUE_PATTERN = f"^{_UNIT}(?:(?:{_UNIT}| )*{_UNIT})?$"
_CE_VALUE = re.compile(CE_VALUE_PATTERN)
_SHOWN_SUBJECT = 100
# A key is text without NUL and without surrounding whitespace. Whitespace is spelled out (what
# Python's str.isspace() counts) rather than written `\s`, which JSON Schema tools read as
# ECMAScript's, a different set: the document and the server must apply the same rule.
_SPACE = (
    "\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
KEY_PATTERN = f"^[^{_SPACE}\\u0000](?:[^\\u0000]*[^{_SPACE}\\u0000])?$"
_KEY = re.compile(KEY_PATTERN)


def build_event(
    function: str, headers: CIMultiDictProxy[str], mimetype: str, body: bytes
) -> WireEvent:
    """`mimetype` is the body's media type (lower case, without parameters)."""
    # Well-formed in either mode, as the OpenAPI document has them; a structured event takes
    # its attributes from the body alone.
    ce = _ce_attributes(headers)
    if mimetype == STRUCTURED:
        event = _structured(body)
    else:
        event = _binary_or_plain(function, ce, headers.get("Content-Type"), body)
    key = idempotency_key(headers)
    if key is not None:
        event.idempotency_key = key
    [wire] = admit([event])
    return wire


def admit(events: Sequence[Event], refusal: str = "invalid ") -> list[WireEvent]:
    """The one check of the events a request brings, before any of them is queued: the invoke
    route and every webhook route call it. An event the hub could never store or deliver is
    answered 400 with the reason (never a 500 later, nor a 503 that makes the sender retry
    what can never succeed); `refusal` starts the message. Returns the events' wire forms."""
    wires: list[WireEvent] = []
    for index, event in enumerate(events):
        try:
            wires.append(check_event(event))
        except InvalidEvent as exc:
            label = "event" if len(events) == 1 else f"event {index + 1} of {len(events)}"
            if isinstance(event.subject, str) and event.subject:
                label += f" (subject {event.subject[:_SHOWN_SUBJECT]!r})"
            raise ApiError(400, f"{refusal}{label}: {exc}") from None
    return wires


def idempotency_key(headers: CIMultiDictProxy[str]) -> str | None:
    key = headers.get(IDEMPOTENCY_HEADER)
    if key is not None:
        _check_key(key, IDEMPOTENCY_HEADER)
    return key


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str) or not _is_key(key):
        raise ApiError(400, f"{where} must be 1-{MAX_KEY_LENGTH} characters of UTF-8 text")


def _is_key(key: str) -> bool:
    return len(key) <= MAX_KEY_LENGTH and _KEY.fullmatch(key) is not None and is_text(key)


def _structured(body: bytes) -> Event:
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the structured CloudEvent is not valid JSON: {exc}") from None
    return structured_event(raw)


def structured_event(raw: Any) -> Event:
    """A structured CloudEvent from its parsed JSON: alone in a request, or one of a batch."""
    if isinstance(raw, dict):
        _check_attributes(raw, "")
        for name in (IDEMPOTENCY_ATTR, ORDERING_ATTR):
            if raw.get(name) is not None:
                _check_key(raw[name], f"CloudEvent attribute {name!r}")
    try:
        return Event.from_dict(raw)
    except EventFormatError as exc:
        raise ApiError(400, f"invalid structured CloudEvent: {exc}") from None


def _binary_or_plain(
    function: str, ce: dict[str, str], content_type: str | None, body: bytes
) -> Event:
    ordering_key = ce.pop(ORDERING_ATTR, None)
    if ordering_key is not None:
        _check_key(ordering_key, f"header {_CE_PREFIX}{ORDERING_ATTR}")
    event = Event(
        id=ce.pop("id", "") or new_id(),
        type=ce.pop("type", INVOKE_TYPE),
        source=ce.pop("source", f"/v1/functions/{function}"),
        subject=ce.pop("subject", None),
        time=ce.pop("time", None) or to_rfc3339(clock.now()),
        dataschema=ce.pop("dataschema", None),
        data=_data(body, content_type),
        datacontenttype=content_type if body else None,
        ordering_key=ordering_key,
    )
    event.extensions = dict(ce)
    return event


def _ce_attributes(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, raw in headers.items():
        # Most requests carry no ce-* header: only a name's first letters are looked at.
        if name[:3].lower() != _CE_PREFIX:
            continue
        attribute = name[len(_CE_PREFIX) :].lower()
        value = _header_text(name, raw)
        if attribute in _CE_REFUSED:
            raise ApiError(400, f"header {name} is not accepted: {_CE_REFUSED[attribute]}")
        if attribute not in _CE_IGNORED and not EXTENSION_NAME_RE.match(attribute):
            raise ApiError(
                400,
                f"header {name}: CloudEvent attribute names are 1-20 lowercase letters or digits",
            )
        attributes[attribute] = value
    if not attributes:
        return attributes
    _check_attributes(attributes, _CE_PREFIX)
    for ignored in _CE_IGNORED:
        attributes.pop(ignored, None)
    return attributes


def _header_text(name: str, raw: str) -> str:
    if not _CE_VALUE.fullmatch(raw):
        raise ApiError(
            400, f"header {name} must be non-empty ASCII text, percent-encoding UTF-8 beyond it"
        )
    return unquote(raw, errors="strict")


def _check_attributes(attributes: Mapping[str, Any], prefix: str) -> None:
    version = attributes.get("specversion", "1.0")
    if version != "1.0":
        raise ApiError(400, f"{prefix}specversion must be '1.0', not {version!r}")
    time = attributes.get("time")
    # Attribute types are the event check's (admit); a time that is text must be a timestamp.
    if isinstance(time, str):
        try:
            parse_rfc3339(time)
        except (ValueError, OverflowError) as exc:
            raise ApiError(400, f"{prefix}time is not an RFC 3339 timestamp: {exc}") from None


def _data(body: bytes, content_type: str | None) -> Any:
    if not body:
        return None
    if content_type is not None and _is_json(content_type):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, f"request body is not valid JSON: {exc}") from None
    return body


def _is_json(content_type: str) -> bool:
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or mimetype.endswith("+json")
