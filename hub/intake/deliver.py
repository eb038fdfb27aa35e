"""One batch from source to store: filter it, durably submit what is kept to each of the
trigger's functions, and only then acknowledge it; when the submit fails, give it back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hub import clock
from hub.config.triggers import TriggerConfig
from hub.eventcheck import InvalidEvent, check_event, contained
from hub.events import Event, WireEvent
from hub.filters import compile_filter
from hub.intake.backlog import BacklogGate
from hub.intake.status import TriggerStatus
from hub.plugins.contract import Batch
from hub.store.base import Checkpoint

if TYPE_CHECKING:
    from hub.engine import Hub


class Delivery:
    def __init__(
        self, hub: Hub, config: TriggerConfig, status: TriggerStatus, gate: BacklogGate
    ) -> None:
        self._hub = hub
        self._functions = list(config.function)
        self._matches = compile_filter(config.filter)
        self._status = status
        self._gate = gate

    async def __call__(self, batch: Batch) -> Exception | None:
        """Ack after the commit; on a failed submit nack the batch and return the error (an
        error from ack or nack itself is the source's and propagates)."""
        events = list(batch.events)
        kept = [storable(event) for event in events if self._matches(event)]
        self._status.events_in += len(events)
        self._status.events_filtered += len(events) - len(kept)
        if events:
            self._status.last_event_at = clock.now()
        try:
            await self._submit(kept, batch.checkpoint)
        except Exception as exc:
            self._status.last_error = f"submit failed: {exc!r}"
            await batch.nack(f"submit failed: {exc}")
            return exc
        await batch.ack()
        return None

    async def _submit(self, events: Sequence[WireEvent], checkpoint: Checkpoint | None) -> None:
        if not events:
            if checkpoint is not None:  # all filtered out: the position still moves on
                await self._hub.store.set_checkpoint(checkpoint)
            return
        # Every function's invocations and the source position commit together.
        submitted = await self._hub.submit_many(
            [(function, events) for function in self._functions], checkpoint=checkpoint
        )
        self._gate.note_submitted(sum(1 for per in submitted for s in per if s.created))


def storable(event: Event) -> WireEvent:
    """The event's wire form, or its stand-in's when the hub could never store it (nested too
    deep, an attribute of the wrong type): handed back to the source instead, it would stall
    it."""
    try:
        return check_event(event)
    except InvalidEvent as exc:
        return WireEvent.of(contained(event, str(exc)))
