"""The kubernetes audit source: reads what the webhook put in its inbox; acking a batch
completes the webhook request (200), a nack or a stop fails it (503, the API server retries).
Nothing to checkpoint: the API server holds the events until it gets its answer."""

from __future__ import annotations

from hub.plugins.contract import Batch, SourceContext
from triggers.audit.config import AuditConfig
from triggers.audit.kubernetes.inbox import Inbox, Request, close_inbox, open_inbox
from triggers.audit.kubernetes.parse import wanted_entries


class KubernetesSource:
    def __init__(self, config: AuditConfig, context: SourceContext) -> None:
        self._trigger = context.trigger
        self._log = context.log
        self._wanted = wanted_entries(
            config.verbs, config.resources, config.namespaces, config.users, config.stages
        )
        self._inbox: Inbox | None = None
        self._in_flight: Request | None = None

    async def connect(self) -> None:
        self._inbox = open_inbox(self._trigger)

    async def read(self) -> Batch:
        assert self._inbox is not None, "connect first"
        request = await self._inbox.queue.get()
        while request.done.done():  # the webhook gave up on it already (timed out)
            request = await self._inbox.queue.get()
        self._in_flight = request
        # An event's data is its audit entry, which is what the options test.
        events = [event for event in request.events if self._wanted(event.data)]
        self._log.debug("audit event list", entries=len(request.events), kept=len(events))

        async def ack() -> None:
            request.finish(len(events))
            self._in_flight = None

        async def nack(reason: str) -> None:
            request.fail(reason)
            self._in_flight = None

        return Batch(events, None, ack, nack)

    async def close(self) -> None:
        if self._in_flight is not None:
            self._in_flight.fail("the trigger stopped")
            self._in_flight = None
        if self._inbox is not None:
            close_inbox(self._inbox, "the trigger stopped")
            self._inbox = None
