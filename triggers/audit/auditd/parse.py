"""A grouped audit event to a CloudEvent, pure, and the `keys` / `record_types` / `syscalls`
options as a test on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hub.events import Event
from hub.timefmt import to_rfc3339
from triggers.audit.auditd.fields import KEY_SEPARATOR
from triggers.audit.auditd.group import Grouped
from triggers.audit.auditd.record import Record
from triggers.audit.auditd.syscalls import syscall_name
from triggers.log_stream.tail import Line

AUDITD_TYPE = "triggerhub.audit.auditd"


def idempotency_key(grouped: Grouped) -> str:
    # The kernel's event id, not a file offset: the same event read again (after a restart
    # inside an unfinished event, or from a copied log) is the same invocation.
    event_id = grouped.id
    return f"auditd:{event_id.node or '-'}:{event_id.timestamp}:{event_id.serial}"


def audit_event(grouped: Grouped) -> Event:
    first = grouped.records[0]
    keys = event_keys(grouped.records)
    key = idempotency_key(grouped)
    extensions: dict[str, Any] = {"auditserial": grouped.id.serial}
    if keys:
        extensions["auditkey"] = ",".join(keys)
    return Event(
        id=key,
        type=AUDITD_TYPE,
        source=f"file://{grouped.lines[0].name}",
        subject=first.type,
        time=to_rfc3339(grouped.id.seconds),
        datacontenttype="application/json",
        data={
            "node": grouped.id.node,
            "timestamp": grouped.id.timestamp,
            "serial": grouped.id.serial,
            "keys": keys,
            "syscall": event_syscall(grouped.records),
            "records": [record.to_dict() for record in grouped.records],
        },
        extensions=extensions,
        idempotency_key=key,
    )


def invalid_line_event(line: Line, text: str, reason: str) -> Event:
    """A line that is not an audit record is carried, flagged, never dropped."""
    key = f"auditd-line:{line.key.dev}:{line.key.ino}:{line.epoch}:{line.offset}"
    return Event(
        id=key,
        type=AUDITD_TYPE,
        source=f"file://{line.name}",
        subject="INVALID",
        data={"raw": text, "error": reason},
        datacontenttype="application/json",
        extensions={"auditflags": "invalid"},
        idempotency_key=key,
    )


def event_keys(records: Sequence[Record]) -> list[str]:
    keys: list[str] = []
    for record in records:
        value = record.fields.get("key")
        for key in (value or "").split(KEY_SEPARATOR):
            if key and key not in keys:
                keys.append(key)
    return keys


def event_syscall(records: Sequence[Record]) -> dict[str, str | None] | None:
    for record in records:
        if record.type == "SYSCALL":
            number = record.fields.get("syscall")
            name = record.enriched.get("SYSCALL") or syscall_name(record.fields.get("arch"), number)
            return {"number": number, "name": name}
    return None


EventTest = Callable[[Grouped], bool]


def wanted_events(
    keys: Sequence[str] | None, record_types: Sequence[str] | None, syscalls: Sequence[str] | None
) -> EventTest:
    tests: list[EventTest] = []
    if keys is not None:
        wanted_keys = frozenset(keys)
        tests.append(lambda g: not wanted_keys.isdisjoint(event_keys(g.records)))
    if record_types is not None:
        wanted_types = frozenset(t.upper() for t in record_types)
        tests.append(lambda g: any(r.type in wanted_types for r in g.records))
    if syscalls is not None:
        wanted_calls = frozenset(syscalls)
        tests.append(lambda g: _syscall_matches(g, wanted_calls))
    return lambda grouped: all(test(grouped) for test in tests)


def _syscall_matches(grouped: Grouped, wanted: frozenset[str]) -> bool:
    syscall = event_syscall(grouped.records)
    return syscall is not None and not wanted.isdisjoint(
        v for v in (syscall["number"], syscall["name"]) if v is not None
    )
