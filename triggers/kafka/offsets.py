"""Which offsets are safe to commit. Pure bookkeeping, no client types: a partition is
("topic", partition).

A batch is handed out, then settled: acked (everything in it is durably queued, so its
next offsets may be committed) or nacked (it must be read again from its first offsets).
The hub settles batches in the order it read them and reads the next only after settling, so
the highest acked offset of a partition never passes an unacked record."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

Partition = tuple[str, int]
Span = dict[Partition, tuple[int, int]]  # first and last offset of a batch, per partition


class OffsetTracker:
    def __init__(self) -> None:
        self._acked: dict[Partition, int] = {}  # next offset to commit
        self._fetched: dict[Partition, int] = {}  # next offset the consumer will return
        self._committed: dict[Partition, int] = {}
        self._in_flight: Span | None = None
        self._settled = asyncio.Event()
        self._settled.set()

    def handed_out(self, span: Span) -> None:
        self._in_flight = span
        self._settled.clear()
        for part, (_, last) in span.items():
            self._fetched[part] = last + 1

    def acked(self, span: Span) -> None:
        for part, (_, last) in span.items():
            self._acked[part] = max(self._acked.get(part, 0), last + 1)
        self._settle()

    def nacked(self, span: Span) -> dict[Partition, int]:
        """Where each partition must be read again from."""
        for part, (first, _) in span.items():
            self._fetched[part] = first
        self._settle()
        return {part: first for part, (first, _) in span.items()}

    def _settle(self) -> None:
        self._in_flight = None
        self._settled.set()

    async def wait_settled(self, timeout: float) -> bool:
        """Let a batch being submitted finish before its partitions are given away."""
        try:
            async with asyncio.timeout(timeout):
                await self._settled.wait()
        except TimeoutError:
            return False
        return True

    def to_commit(self, parts: Iterable[Partition]) -> dict[Partition, int]:
        """Acked offsets of these partitions not committed yet."""
        return {
            part: self._acked[part]
            for part in parts
            if part in self._acked and self._acked[part] > self._committed.get(part, -1)
        }

    def committed(self, offsets: Mapping[Partition, int]) -> None:
        for part, offset in offsets.items():
            self._committed[part] = max(self._committed.get(part, -1), offset)

    def forget(self, parts: Iterable[Partition]) -> None:
        """A revoked partition's next owner starts from the group's committed offset."""
        for part in parts:
            for table in (self._acked, self._fetched, self._committed):
                table.pop(part, None)

    def fetched(self, part: Partition) -> int | None:
        return self._fetched.get(part)
