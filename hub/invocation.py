"""The invocation record ("task mode"): what is stored and shown for every asynchronous call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.events import Event, WireEvent
from hub.flow.columns import FlowColumns
from hub.status import Status
from hub.timefmt import to_rfc3339


@dataclass(slots=True)
class NewInvocation:
    """What a submitter hands the store: one event, in its wire form, for one function."""

    function: str
    event: Event | WireEvent
    not_before: float
    deadline: float
    id: str = ""
    idempotency_key: str | None = None
    ordering_key: str | None = None
    flow: FlowColumns | None = None
    """Set only under flow control (hub/flow/): the plain path pays nothing for it."""

    @property
    def event_json(self) -> bytes:
        """The JSON the store writes: the wire form intake made, or an Event's written now."""
        event = self.event
        return event.json if isinstance(event, WireEvent) else event.to_json()


@dataclass(slots=True)
class Transition:
    status: str
    at: float
    detail: str | None = None


@dataclass(slots=True)
class Invocation:
    id: str
    function: str
    status: Status
    event_json: bytes
    attempts: int
    invoke_count: int
    created_at: float
    not_before: float
    deadline: float
    idempotency_key: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    last_error: str | None = None
    response: Any = None
    condition: str | None = None
    destination_error: str | None = None
    history: list[Transition] = field(default_factory=list)
    lease_owner: str | None = None
    ordering_key: str | None = None
    priority: int | None = None
    """None unless the invocation is under flow control (hub/flow/)."""
    throttled: bool = False
    """Set by the lease when a rate limit held this invocation back."""
    _wire: WireEvent | None = None

    @property
    def wire(self) -> WireEvent:
        """The event as stored, for a target; parsed only if something asks for `.event`."""
        if self._wire is None:
            self._wire = WireEvent(self.event_json)
        return self._wire

    @property
    def event(self) -> Event:
        # Parsed on first use: a python handler needs it; listing thousands of records for
        # the API, an http or command target, or a destination record does not.
        return self.wire.event

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "function": self.function,
            "status": str(self.status),
            "idempotency_key": self.idempotency_key,
            "ordering_key": self.ordering_key,
            "priority": self.priority,
            "attempts": self.attempts,
            "approximate_invoke_count": self.invoke_count,
            "created_at": to_rfc3339(self.created_at),
            "not_before": to_rfc3339(self.not_before),
            "deadline": to_rfc3339(self.deadline),
            "started_at": to_rfc3339(self.started_at),
            "finished_at": to_rfc3339(self.finished_at),
            "condition": self.condition,
            "last_error": self.last_error,
            "response": self.response,
            "destination_error": self.destination_error,
            "event": orjson.loads(self.event_json),
            "history": [
                {"status": t.status, "at": to_rfc3339(t.at), "detail": t.detail}
                for t in self.history
            ],
        }


def encode_response(value: Any, limit: int) -> bytes | None:
    """The response as stored and put in destination records: JSON, cut to `limit` bytes
    (then kept as a truncated string)."""
    if value is None:
        return None
    try:
        raw = orjson.dumps(value)
    except TypeError:
        raw = orjson.dumps(repr(value))
    if len(raw) <= limit:
        return raw
    text = raw.decode("utf-8", "replace")[: max(0, limit - 64)]
    return orjson.dumps({"truncated": True, "bytes": len(raw), "head": text})
