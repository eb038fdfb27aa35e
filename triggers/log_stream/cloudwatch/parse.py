"""CloudWatch Logs events to CloudEvents, pure: one per event (`batch_size: 1`) or a list of
messages per event; keyed by the service's event id, unique within a log group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.events import Event
from hub.timefmt import to_rfc3339
from triggers.log_stream.decode import Decoded
from triggers.log_stream.parse import LINE_TYPE, LINES_TYPE


@dataclass(frozen=True, slots=True)
class Message:
    raw: Mapping[str, Any]  # the service's event: logStreamName, timestamp, message, eventId
    decoded: Decoded


def idempotency_key(log_group: str, raw: Mapping[str, Any]) -> str:
    return f"cwl:{log_group}:{raw['eventId']}"


def message_event(source: str, log_group: str, message: Message, jsonl: bool) -> Event:
    event = _event(source, log_group, message.raw, LINE_TYPE, message.decoded.value, jsonl)
    if message.decoded.flags:
        event.extensions["logflags"] = "+".join(message.decoded.flags)
    return event


def messages_event(source: str, log_group: str, messages: Sequence[Message], jsonl: bool) -> Event:
    first = messages[0].raw
    event = _event(source, log_group, first, LINES_TYPE, [m.decoded.value for m in messages], jsonl)
    event.extensions["logcount"] = len(messages)
    flagged = [
        f"{i}:{'+'.join(m.decoded.flags)}" for i, m in enumerate(messages) if m.decoded.flags
    ]
    if flagged:
        event.extensions["logflags"] = ",".join(flagged)
    return event


def _event(
    source: str, log_group: str, raw: Mapping[str, Any], type_: str, data: Any, jsonl: bool
) -> Event:
    key = idempotency_key(log_group, raw)
    return Event(
        id=key,
        type=type_,
        source=source,
        subject=raw.get("logStreamName"),
        time=to_rfc3339(raw["timestamp"] / 1000),
        data=data,
        datacontenttype="application/json" if jsonl or type_ == LINES_TYPE else "text/plain",
        extensions={"logstream": raw.get("logStreamName", ""), "logeventid": str(raw["eventId"])},
        idempotency_key=key,
    )
