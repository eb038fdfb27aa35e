"""Lines to CloudEvents, pure: one line (`batch_size: 1`) or a list of lines per event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub import clock
from hub.events import Event
from hub.timefmt import to_rfc3339
from triggers.log_stream.decode import Decoded
from triggers.log_stream.tail import Line

LINE_TYPE = "triggerhub.log.line"
LINES_TYPE = "triggerhub.log.lines"


@dataclass(frozen=True, slots=True)
class Read:
    line: Line
    decoded: Decoded


def idempotency_key(line: Line) -> str:
    return f"log:{line.key.dev}:{line.key.ino}:{line.epoch}:{line.offset}"


def line_event(read: Read, jsonl: bool) -> Event:
    event = _event(read.line, LINE_TYPE, read.decoded.value, jsonl)
    if read.decoded.flags:
        event.extensions["logflags"] = "+".join(read.decoded.flags)
    return event


def lines_event(reads: Sequence[Read], jsonl: bool) -> Event:
    """`logflags` lists the flagged lines as `index:flag` (e.g. `2:utf8,5:json`)."""
    first = reads[0].line
    event = _event(first, LINES_TYPE, [r.decoded.value for r in reads], jsonl)
    event.extensions["logcount"] = len(reads)
    event.extensions["logend"] = reads[-1].line.end
    flagged = [f"{i}:{'+'.join(r.decoded.flags)}" for i, r in enumerate(reads) if r.decoded.flags]
    if flagged:
        event.extensions["logflags"] = ",".join(flagged)
    return event


def _event(line: Line, type_: str, data: object, jsonl: bool) -> Event:
    key = idempotency_key(line)
    return Event(
        id=key,
        type=type_,
        source=f"file://{line.name}",
        subject=line.name,
        time=to_rfc3339(clock.now()),
        data=data,
        datacontenttype="application/json" if jsonl or type_ == LINES_TYPE else "text/plain",
        extensions={
            "logoffset": line.offset,
            "loginode": line.key.ino,
            "logdevice": line.key.dev,
            "logepoch": line.epoch,
        },
        idempotency_key=key,
    )
