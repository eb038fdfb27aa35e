"""A test-only trigger kind: an in-memory source the test drives like a broker.

The test puts batches (or exceptions to raise) on a named `Channel`; the source hands them out,
remembers what was acked and nacked, and redelivers unacknowledged batches after a nack or a
reconnect, the way Kafka or AMQP would. The `memory-reporting` kind is the same source with the
optional `detail()` and `gaps()` reports, read from what the test sets on the channel."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from pydantic import Field

from hub.config.triggers import TriggerConfig
from hub.events import Event
from hub.plugins import Batch, SourceContext, TriggerKind
from hub.store.base import Checkpoint


class MemoryConfig(TriggerConfig):
    type: Literal["memory"]
    channel: str = Field(description="Name of the in-memory channel to read.")
    batch_size: int = Field(10, ge=1, le=1000)


Item = Sequence[Event] | BaseException


class Channel:
    def __init__(self, name: str) -> None:
        self.name = name
        self.items: asyncio.Queue[Item] = asyncio.Queue(maxsize=10_000)
        self.redeliver: deque[tuple[int, Sequence[Event]]] = deque()
        self.in_flight: dict[int, Sequence[Event]] = {}
        self.acked: list[Sequence[Event]] = []
        self.nacked: list[str] = []
        self.connect_errors: list[BaseException] = []
        self.connects = 0
        self.closes = 0
        self.pauses = 0
        self.resumes = 0
        self.before_ack: Callable[[], Awaitable[None]] | None = None
        # What a `memory-reporting` source reports; an exception is raised by the report.
        self.detail: dict[str, Any] | BaseException = {}
        self.gaps: int | BaseException = 0
        # A task the source starts on connect (in its supervisor group) and cancels on close.
        self.background: Callable[[], Awaitable[None]] | None = None
        self.forget_background = False  # a close() that leaves it running
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()

    def put(self, item: Item) -> None:
        self.items.put_nowait(item)

    @property
    def acked_events(self) -> list[Event]:
        return [event for batch in self.acked for event in batch]

    async def wait(self, check: Callable[[], bool]) -> None:
        async with self._changed:
            await self._changed.wait_for(check)

    async def changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()


channels: dict[str, Channel] = {}


def channel(name: str) -> Channel:
    return channels.setdefault(name, Channel(name))


class MemorySource:
    def __init__(self, config: MemoryConfig, context: SourceContext) -> None:
        self.channel = channel(config.channel)
        self.context = context

    async def connect(self) -> None:
        self.channel.connects += 1
        await self.channel.changed()
        if self.channel.connect_errors:
            raise self.channel.connect_errors.pop(0)
        if self.channel.background is not None:
            self.context.loops.spawn("background", self.channel.background)

    async def read(self) -> Batch:
        ch = self.channel
        if ch.redeliver:
            seq, events = ch.redeliver.popleft()
        else:
            item = await ch.items.get()
            if isinstance(item, BaseException):
                raise item
            seq, events = next(ch._seq), item
        ch.in_flight[seq] = events
        return Batch(
            events,
            checkpoint=Checkpoint(f"memory:{ch.name}", str(seq)),
            on_ack=lambda: self._ack(seq),
            on_nack=lambda reason: self._nack(seq, reason),
        )

    async def _ack(self, seq: int) -> None:
        if self.channel.before_ack is not None:
            await self.channel.before_ack()
        self.channel.acked.append(self.channel.in_flight.pop(seq))
        await self.channel.changed()

    async def _nack(self, seq: int, reason: str) -> None:
        self.channel.redeliver.append((seq, self.channel.in_flight.pop(seq)))
        self.channel.nacked.append(reason)
        await self.channel.changed()

    async def pause(self) -> None:
        self.channel.pauses += 1

    async def resume(self) -> None:
        self.channel.resumes += 1

    def lag(self) -> float:
        return float(self.channel.items.qsize() + len(self.channel.redeliver))

    async def close(self) -> None:
        # Unacknowledged batches go back to the broker, as a real connection close does.
        self.channel.redeliver.extend(sorted(self.channel.in_flight.items()))
        self.channel.in_flight.clear()
        self.channel.closes += 1
        if not self.channel.forget_background:
            await self.context.loops.cancel("background")
        await self.channel.changed()


class ReportingMemoryConfig(MemoryConfig):
    type: Literal["memory-reporting"]  # type: ignore[assignment]


class ReportingMemorySource(MemorySource):
    """Implements the optional `ReportsDetail` and `ReportsGaps`; `MemorySource` does not."""

    def detail(self) -> dict[str, Any]:
        if isinstance(self.channel.detail, BaseException):
            raise self.channel.detail
        return dict(self.channel.detail)

    def gaps(self) -> int:
        if isinstance(self.channel.gaps, BaseException):
            raise self.channel.gaps
        return self.channel.gaps


def build(config: MemoryConfig, context: SourceContext) -> MemorySource:
    return MemorySource(config, context)


def build_reporting(config: ReportingMemoryConfig, context: SourceContext) -> MemorySource:
    return ReportingMemorySource(config, context)


MEMORY = TriggerKind(
    name="memory",
    config_model=MemoryConfig,
    factory_path="tests.plugins.memory:build",
    doc="Events put on an in-memory channel by a test.",
)

REPORTING = TriggerKind(
    name="memory-reporting",
    config_model=ReportingMemoryConfig,
    factory_path="tests.plugins.memory:build_reporting",
    doc="An in-memory channel whose source also reports detail and gaps.",
)
