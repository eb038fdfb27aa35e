"""One line of an audit log:

    node=web1 type=SYSCALL msg=audit(1700000000.123:456): arch=c000003e syscall=59 ... key="x"

`node=` is there when auditd's name_format is set; in the ENRICHED log format (the default) a
0x1D byte separates the raw fields from auditd's interpretations (`SYSCALL=execve UID="root"`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from triggers.audit.auditd.fields import parse_fields

_HEADER = re.compile(
    r"^(?:node=(?P<node>\S+) )?type=(?P<type>\S+) "
    r"msg=audit\((?P<seconds>\d+)\.(?P<millis>\d+):(?P<serial>\d+)\):\s?(?P<body>.*)$",
    re.DOTALL,
)
ENRICHMENT = "\x1d"


class RecordError(ValueError):
    """The line is not an audit record."""


@dataclass(frozen=True, slots=True)
class EventId:
    """What the kernel uses to tie records of one event together (plus the host)."""

    node: str | None
    timestamp: str  # "1700000000.123", as written
    serial: int

    @property
    def seconds(self) -> float:
        return float(self.timestamp)


@dataclass(frozen=True, slots=True)
class Record:
    id: EventId
    type: str
    fields: dict[str, str | None]
    enriched: dict[str, str | None] = field(default_factory=dict)
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "fields": self.fields}
        if self.enriched:
            out["enriched"] = self.enriched
        out["raw"] = self.raw
        return out


def parse_record(line: str) -> Record:
    match = _HEADER.match(line.rstrip("\n"))
    if match is None:
        raise RecordError("not an audit record: expected 'type=... msg=audit(SECONDS:SERIAL):'")
    body, _, enriched = match["body"].partition(ENRICHMENT)
    record_type = match["type"]
    return Record(
        id=EventId(match["node"], f"{match['seconds']}.{match['millis']}", int(match["serial"])),
        type=record_type,
        fields=parse_fields(body, record_type),
        enriched=parse_fields(enriched, record_type) if enriched else {},
        raw=line.rstrip("\n"),
    )
