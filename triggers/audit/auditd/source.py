"""The auditd source: tail the audit logs (the `log_stream` tailer: rotation-safe, positions in
the checkpoint), group records into events, and hand the complete ones to the hub.

A file's committed position never passes the first record of an event still being grouped, so
a restart reads that event whole again; events completed after it are read again too and are
deduplicated by their idempotency key (the kernel's event id)."""

from __future__ import annotations

import asyncio

from hub.events import Event
from hub.plugins.contract import BackOff, Batch, SourceContext
from hub.plugins.position import Checkpoint, read_again, stored_position
from triggers.audit.auditd.group import Grouped, Grouper
from triggers.audit.auditd.parse import audit_event, invalid_line_event, wanted_events
from triggers.audit.auditd.record import RecordError, parse_record
from triggers.audit.config import AuditConfig
from triggers.log_stream.tail import FileKey, Line, Tailer, decode_positions, encode_positions

POLL_INTERVAL = 0.25
ROTATE_WAIT = 5.0
MAX_LINE = 1024 * 1024
Acked = dict[FileKey, tuple[int, int]]


def checkpoint_name(trigger: str) -> str:
    return f"audit:{trigger}"


class AuditdSource:
    lag_unit = "bytes"

    def __init__(self, config: AuditConfig, context: SourceContext) -> None:
        self._name = checkpoint_name(context.trigger)
        self._context = context
        self._log = context.log
        self._poll_interval = config.poll_interval or POLL_INTERVAL
        self._wanted = wanted_events(config.keys, config.record_types, config.syscalls)
        self._tailer = Tailer(
            config.audit_paths,
            start_at_end=(config.from_ or "end") == "end",
            rotate_wait=ROTATE_WAIT if config.rotate_wait is None else config.rotate_wait,
            max_line_bytes=MAX_LINE,
            log=context.log,
        )
        self._grouper = Grouper()
        self._read_end: Acked = {}  # per file: the end of the last line grouped
        self._rewind = read_again(self._log, "audit events", self._read_again)

    async def connect(self) -> None:
        positions = await stored_position(self._context, self._name, decode_positions)
        self._forget()
        await asyncio.to_thread(self._tailer.resume, positions)

    async def read(self) -> Batch:
        lines = await asyncio.to_thread(self._tailer.poll)
        events = self._feed(lines) + self._events(self._grouper.flush_idle())
        if not events and not lines and not self._tailer.dirty:
            raise BackOff(self._poll_interval)
        acked = self._safe_positions()
        checkpoint = Checkpoint(self._name, encode_positions(self._tailer.positions(acked)))
        return Batch(events, checkpoint, lambda: self._ack(acked), self._rewind)

    async def close(self) -> None:
        self._forget()
        await asyncio.to_thread(self._tailer.close)

    def lag(self) -> float:
        return float(self._tailer.unread)

    def _feed(self, lines: list[Line]) -> list[Event]:
        events: list[Event] = []
        for line in lines:
            self._read_end[line.key] = (line.epoch, line.end)
            text = line.raw.decode("utf-8", "backslashreplace")
            if not text.strip():
                continue
            try:
                record = parse_record(text)
            except RecordError as exc:
                self._log.warning("not an audit record", path=line.path, offset=line.offset)
                events.append(invalid_line_event(line, text, str(exc)))
                continue
            events += self._events(self._grouper.add(line, record))
        return events

    def _events(self, grouped: list[Grouped]) -> list[Event]:
        return [audit_event(g) for g in grouped if self._wanted(g)]

    def _safe_positions(self) -> Acked:
        """Per file, the end of what was grouped, held back to the start of any event that is
        not complete yet."""
        safe: Acked = {}
        for key, (epoch, end) in self._read_end.items():
            first = self._grouper.first_offset(key)
            safe[key] = (epoch, end if first is None else min(first, end))
        return safe

    async def _ack(self, acked: Acked) -> None:
        self._tailer.commit(acked)

    def _read_again(self) -> None:
        self._forget()
        self._tailer.rewind()

    def _forget(self) -> None:
        self._grouper.clear()
        self._read_end.clear()
