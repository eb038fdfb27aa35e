"""The timer benchmark's probe: the real timer source, with each tick's scheduled, produced
and queued instants noted in `record`, which bench/timer.py reads. The hub resolves
`bench.timer_probe:build` and `:noop` by name; keeping them out of the benchmark's own module
makes them the same module (and the same `record`) when that runs as `__main__`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from hub import Event
from hub.events import WireEvent
from hub.plugins import Batch, SourceContext
from triggers.timer.config import TimerConfig
from triggers.timer.misfire import Fire
from triggers.timer.source import TimerSource


@dataclass
class Record:
    """Per tick: (scheduled s, produced s, queued s), in the order the ticks were acked; and
    an event set once every tick of the measured window is queued."""

    ticks: list[tuple[float, float, float]] = field(default_factory=list)
    window: tuple[float, float, int] = (0.0, 0.0, 0)
    in_window: int = 0
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        self.ticks.clear()
        self.window, self.in_window, self.complete = (0.0, 0.0, 0), 0, asyncio.Event()

    def expect(self, since: float, until: float, count: int) -> None:
        self.window = (since, until, count)
        self.in_window = sum(1 for s, _, _ in self.ticks if since <= s <= until)

    def add(self, scheduled: float, produced: float, queued: float) -> None:
        self.ticks.append((scheduled, produced, queued))
        since, until, count = self.window
        if since <= scheduled <= until:
            self.in_window += 1
            if self.in_window >= count:
                self.complete.set()

    def lateness(self, since: float, until: float) -> list[float]:
        return [q - s for s, _, q in self.ticks if since <= s <= until]

    def produced(self, since: float, until: float) -> list[float]:
        return [p - s for s, p, _ in self.ticks if since <= s <= until]


record = Record()


class Probe(TimerSource):
    """The real timer source, with the produced and queued instants of each tick noted."""

    def _batch(self, fires: tuple[Fire, ...], in_place: bool = False) -> Batch:
        batch = super()._batch(fires, in_place)
        produced = time.time()
        scheduled = [f.scheduled / 1000 for f in fires]
        _note_when_acked(batch, scheduled, produced)
        return batch


def _note_when_acked(batch: Batch, scheduled: list[float], produced: float) -> None:
    acked = batch.on_ack

    async def on_ack() -> None:
        queued = time.time()
        for at in scheduled:
            record.add(at, produced, queued)
        await acked()

    batch.on_ack = on_ack


def scheduled_at(event: Event | WireEvent) -> float:
    key = (event.event if isinstance(event, WireEvent) else event).idempotency_key
    return int((key or "").rpartition(":")[2]) / 1000


def build(config: TimerConfig, context: SourceContext) -> Probe:
    return Probe(config, context)


async def noop(event: Event) -> None:
    return None
