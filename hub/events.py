"""The CloudEvents 1.0 event that every source produces and every function receives."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.ids import new_id

SPECVERSION = "1.0"
_CORE = frozenset(
    {"id", "source", "type", "specversion", "subject", "time", "datacontenttype", "dataschema"}
)
_DATA = frozenset({"data", "data_base64"})
# Not a CloudEvents attribute: carried beside them so a stored event round-trips whole.
IDEMPOTENCY_ATTR = "idempotencykey"
ORDERING_ATTR = "orderingkey"
# The extension a trigger (or intake) sets on an event standing for input that could not be made
# a proper event: the executor sends it straight to on_failure with this reason, no attempt.
INVALID_ATTR = "triggerhuberror"
# An extension attribute's name: what the API accepts, filters select and the OpenAPI states.
# Matched whole (fullmatch): Python's `$` also matches before a final newline, ECMAScript's
# (JSON Schema's) does not.
EXTENSION_NAME = "[a-z0-9]{1,20}"
EXTENSION_NAME_PATTERN = f"^{EXTENSION_NAME}$"
EXTENSION_NAME_RE = re.compile(EXTENSION_NAME_PATTERN)
_NOT_EXTENSIONS = _CORE | _DATA | {IDEMPOTENCY_ATTR, ORDERING_ATTR}
# `data_base64`: standard base64, padded, as the OpenAPI document states it too (JSON Schema
# tools do not check OpenAPI's `byte` format, and b64decode() takes excess padding).
BASE64_PATTERN = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_BASE64 = re.compile(BASE64_PATTERN)


class EventFormatError(ValueError):
    """A structured CloudEvent could not be read; the message says which attribute."""


@dataclass(slots=True)
class Event:
    """A CloudEvent. `data` holds JSON-compatible values, or `bytes` for anything that is not
    JSON (serialised as `data_base64`)."""

    type: str
    source: str
    data: Any = None
    id: str = field(default_factory=new_id)
    subject: str | None = None
    time: str | None = None
    datacontenttype: str | None = None
    dataschema: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    # Invocations of one function with the same ordering key run one at a time, in order.
    ordering_key: str | None = None
    specversion: str = SPECVERSION

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
        }
        for name in ("subject", "time", "datacontenttype", "dataschema"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extensions)
        if self.idempotency_key is not None:
            out[IDEMPOTENCY_ATTR] = self.idempotency_key
        if self.ordering_key is not None:
            out[ORDERING_ATTR] = self.ordering_key
        if isinstance(self.data, bytes | bytearray | memoryview):
            out["data_base64"] = base64.b64encode(bytes(self.data)).decode("ascii")
        elif self.data is not None:
            out["data"] = self.data
        return out

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        if not isinstance(raw, dict):
            raise EventFormatError("a structured CloudEvent must be a JSON object")
        for name in ("id", "source", "type"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise EventFormatError(f"CloudEvent attribute {name!r} must be a non-empty string")
        if "data" in raw and "data_base64" in raw:
            raise EventFormatError("a CloudEvent has either 'data' or 'data_base64', not both")
        data: Any = raw.get("data")
        if "data_base64" in raw:
            encoded = raw["data_base64"]
            if not isinstance(encoded, str) or not _BASE64.fullmatch(encoded):
                raise EventFormatError("'data_base64' must be a string of padded standard base64")
            data = base64.b64decode(encoded)
        # The JSON format: an attribute whose value is null is one that is not there.
        extensions = {k: v for k, v in raw.items() if k not in _NOT_EXTENSIONS and v is not None}
        for name in extensions:
            if not EXTENSION_NAME_RE.fullmatch(name):
                raise EventFormatError(
                    f"CloudEvent extension attribute {name!r} must be 1-20 lowercase letters "
                    "or digits"
                )
        return cls(
            id=raw["id"],
            source=raw["source"],
            type=raw["type"],
            specversion=str(raw.get("specversion", SPECVERSION)),
            subject=raw.get("subject"),
            time=raw.get("time"),
            datacontenttype=raw.get("datacontenttype"),
            dataschema=raw.get("dataschema"),
            data=data,
            extensions=extensions,
            idempotency_key=raw.get(IDEMPOTENCY_ATTR),
            ordering_key=raw.get(ORDERING_ATTR),
        )

    @classmethod
    def from_stored(cls, raw: bytes) -> Event:
        """An event the hub wrote itself (with `to_json`), read without checking it again:
        the hot path of every python handler's attempt."""
        attributes: dict[str, Any] = orjson.loads(raw)
        pop = attributes.pop
        data = pop("data", None)
        if "data_base64" in attributes:
            data = base64.b64decode(pop("data_base64"))
        return cls(
            id=pop("id"),
            source=pop("source"),
            type=pop("type"),
            specversion=pop("specversion", SPECVERSION),
            subject=pop("subject", None),
            time=pop("time", None),
            datacontenttype=pop("datacontenttype", None),
            dataschema=pop("dataschema", None),
            data=data,
            idempotency_key=pop(IDEMPOTENCY_ATTR, None),
            ordering_key=pop(ORDERING_ATTR, None),
            # The JSON format: an attribute whose value is null is one that is not there.
            extensions={k: v for k, v in attributes.items() if v is not None},
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise EventFormatError(f"the CloudEvent is not valid JSON: {exc}") from None
        return cls.from_dict(decoded)


class WireEvent:
    """An event in its wire form: the CloudEvents JSON made once, when the hub takes the event,
    and carried as these bytes to the store, the target and the destination record. The Event
    object is parsed from them only when something asks for it (a python handler, say); the
    bytes are the hub's own writing, so they are not checked again."""

    __slots__ = ("_event", "json")

    def __init__(self, json: bytes, event: Event | None = None) -> None:
        self.json = json
        self._event = event

    @classmethod
    def of(cls, event: Event | WireEvent) -> WireEvent:
        """`event`'s wire form, written now if it has none yet."""
        if isinstance(event, WireEvent):
            return event
        # orjson hands back its whole write buffer (4 KiB at least); the copy, a few hundred
        # bytes, is what waits for the commit, thousands at a time under load.
        return cls(bytes(memoryview(event.to_json())), event)

    @property
    def event(self) -> Event:
        if self._event is None:
            self._event = Event.from_stored(self.json)
        return self._event

    def extension(self, name: str) -> Any:
        """One extension attribute's value (None if absent), parsing only when the name
        occurs in the JSON at all: the hub writes attribute names unescaped."""
        if f'"{name}"'.encode() not in self.json:
            return None
        return self.event.extensions.get(name)

    def attributes(self) -> dict[str, Any]:
        """The event as its JSON object, without building an Event."""
        decoded: dict[str, Any] = orjson.loads(self.json)
        return decoded
