"""The `log_stream` source for local files: tail, match, batch, and hand each batch to the hub
with the files' positions as its checkpoint; the positions count as acked only on `ack`.

A batch holds lines of one file only, and each invocation's idempotency key
(`log:<dev>:<ino>:<epoch>:<offset>` of its first line) names it whatever else is read around it.
Many invocations go into one commit: one fsync per poll's worth of lines, not one per line."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence

from hub.events import Event
from hub.plugins.contract import BackOff, Batch, SourceContext
from hub.plugins.position import Checkpoint, read_again, stored_position
from triggers.log_stream.config import LogStreamConfig
from triggers.log_stream.decode import decode
from triggers.log_stream.match import compile_match
from triggers.log_stream.parse import Read, line_event, lines_event
from triggers.log_stream.tail import (
    FileKey,
    Line,
    Tailer,
    decode_positions,
    encode_positions,
)

Acked = dict[FileKey, tuple[int, int]]
LINES_PER_COMMIT = 1000  # lines whose invocations are submitted in one store commit


def checkpoint_name(trigger: str) -> str:
    return f"log_stream:{trigger}"


class LogFileSource:
    lag_unit = "bytes"

    def __init__(self, config: LogStreamConfig, context: SourceContext) -> None:
        assert config.paths is not None
        self._config = config
        self._context = context
        self._log = context.log
        self._name = checkpoint_name(context.trigger)
        self._jsonl = config.format == "jsonl"
        self._matches = compile_match(config.match)
        self._tailer = Tailer(
            config.paths,
            start_at_end=config.from_ == "end",
            rotate_wait=config.rotate_wait,
            max_line_bytes=config.max_payload_bytes,
            log=context.log,
        )
        self._pending: deque[Line] = deque()
        self._rewind = read_again(self._log, "lines", self._forget)

    async def connect(self) -> None:
        positions = await stored_position(self._context, self._name, decode_positions)
        self._pending.clear()
        await asyncio.to_thread(self._tailer.resume, positions)

    async def read(self) -> Batch:
        if not self._pending:
            self._pending.extend(await asyncio.to_thread(self._tailer.poll))
        if self._pending:
            return await self._next_batch()
        if self._tailer.dirty:  # files came or went: make that durable too
            return Batch([], self._checkpoint({}), self._nothing, self._rewind)
        raise BackOff(self._config.poll_interval)

    async def close(self) -> None:
        self._pending.clear()
        await asyncio.to_thread(self._tailer.close)

    def lag(self) -> float:
        """Bytes in the tailed files not read yet."""
        return float(self._tailer.unread)

    async def _next_batch(self) -> Batch:
        """Up to about LINES_PER_COMMIT lines of the head file, as invocations of
        `batch.size` lines, committed together; only the last, partial invocation waits
        (up to `batch.window`) for more lines."""
        head = self._pending[0]
        size = self._config.batch_size
        limit = max(size, LINES_PER_COMMIT // size * size)
        reads: list[Read] = []
        end = head.offset
        deadline = time.monotonic() + self._config.batch_window
        while True:
            end = self._take(head, reads, end, limit)
            remaining = deadline - time.monotonic()
            if len(reads) % size == 0 or len(reads) >= limit or remaining <= 0:
                break
            await asyncio.sleep(min(self._config.poll_interval, remaining))
            self._pending.extend(await asyncio.to_thread(self._tailer.poll))
        acked = {head.key: (head.epoch, end)}
        events = self._events(reads)
        return Batch(events, self._checkpoint(acked), lambda: self._ack(acked), self._rewind)

    def _take(self, head: Line, reads: list[Read], end: int, limit: int) -> int:
        """Move the head file's lines from the queue into `reads` (matching ones only) up to
        `limit`; returns the end of the last line consumed."""
        kept: deque[Line] = deque()
        while self._pending:
            line = self._pending.popleft()
            same = line.key == head.key and line.epoch == head.epoch
            if not same or len(reads) >= limit:
                kept.append(line)
                continue
            end = line.end
            decoded = decode(line.raw, self._jsonl, line.flag)
            if self._matches(decoded):
                reads.append(Read(line, decoded))
        self._pending = kept
        return end

    def _events(self, reads: Sequence[Read]) -> list[Event]:
        size = self._config.batch_size
        if self._config.batch is None:
            return [line_event(read, self._jsonl) for read in reads]
        return [lines_event(reads[i : i + size], self._jsonl) for i in range(0, len(reads), size)]

    def _checkpoint(self, acked: Acked) -> Checkpoint:
        positions = self._tailer.positions(acked)
        return Checkpoint(self._name, encode_positions(positions))

    async def _ack(self, acked: Acked) -> None:
        self._tailer.commit(acked)

    async def _nothing(self) -> None:
        return None

    def _forget(self) -> None:
        """What was read past the durable positions, so that it is read again (a nack)."""
        self._pending.clear()
        self._tailer.rewind()
