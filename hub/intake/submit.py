"""Submitting one batch from source to store: filter it, durably submit what is kept to each of the
trigger's functions, and only then acknowledge it; when the submit fails, give it back."""

from __future__ import annotations

from hub import clock
from hub.config.triggers import TriggerConfig
from hub.events import Event, WireEvent
from hub.filters import compile_filter
from hub.flow.config import TriggerOrigin
from hub.intake.backlog import BacklogGate
from hub.intake.inbox import PushedBatch
from hub.intake.port import HubPort
from hub.intake.trigger_status import TriggerStatus
from hub.plugins.contract import Batch, WrittenBatch
from hub.plugins.events import written
from hub.store.base import Submitted
from hub.submission_together import Submission


class BatchSubmitter:
    def __init__(
        self,
        hub: HubPort,
        config: TriggerConfig,
        status: TriggerStatus,
        gate: BacklogGate,
        name: str | None = None,
    ) -> None:
        self._hub = hub
        self._name = name
        self._origin = None if name is None else TriggerOrigin(name, config.flow_overrides())
        self._functions = list(config.function)
        self._flow = config  # its flow-control settings override the functions' for its events
        self._matches = None if config.filter is None else compile_filter(config.filter)
        self._status = status
        self._gate = gate

    async def __call__(self, batch: Batch) -> Exception | None:
        """Ack after the commit; on a failed submit nack the batch and return the error (an
        error from ack or nack itself is the source's and propagates)."""
        submission = self.prepare(batch)
        try:
            submitted = await self._submit(submission)
        except Exception as exc:
            await self.refused(batch, exc)
            return exc
        await self.accepted(batch, submission, submitted)
        return None

    def prepare(self, batch: Batch) -> Submission:
        """The batch filtered and counted, as the submit this trigger makes of it: every
        function's invocations and the source position commit together; with all events
        filtered out, the position still moves on."""
        events = batch.events
        matches = self._matches
        if isinstance(batch, WrittenBatch) and len(batch.written) == len(events):
            kept = [
                w
                for e, w in zip(events, batch.written, strict=True)
                if matches is None or matches(_event(e))
            ]
        else:
            kept = [storable(e) for e in events if matches is None or matches(_event(e))]
        self._status.events_in += len(events)
        self._status.events_filtered += len(events) - len(kept)
        if events:
            self._status.last_event_at = clock.now()
        return Submission(
            [(function, kept) for function in self._functions if kept],
            checkpoint=batch.checkpoint,
            source=self._name,
            flow=self._flow,
            origin=self._origin,
        )

    async def refused(self, batch: Batch, exc: Exception) -> None:
        self._status.last_error = f"submit failed: {exc!r}"
        await batch.nack(f"submit failed: {exc}")

    async def accepted(
        self, batch: Batch, submission: Submission, submitted: list[list[Submitted]]
    ) -> None:
        self._gate.note_submitted(sum(1 for per in submitted for s in per if s.created))
        if isinstance(batch, PushedBatch) and batch.request is not None:
            kept = len(submission.batches[0][1]) if submission.batches else 0
            batch.request.submitted(kept, [s.id for per in submitted for s in per])
        await batch.ack()

    async def _submit(self, submission: Submission) -> list[list[Submitted]]:
        if not submission.batches and submission.checkpoint is None:
            return []
        return await self._hub.submit_many(
            submission.batches,
            checkpoint=submission.checkpoint,
            source=submission.source,
            flow=submission.flow,
            origin=submission.origin,
        )


def storable(event: Event | WireEvent) -> WireEvent:
    """The event's wire form: a source's own as it is (see hub.plugins.events.wire_form), else
    written now, or its stand-in's when the hub could never store it."""
    return event if isinstance(event, WireEvent) else written(event)


def _event(event: Event | WireEvent) -> Event:
    return event.event if isinstance(event, WireEvent) else event
