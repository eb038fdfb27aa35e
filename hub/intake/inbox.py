"""Push sources: where a webhook request hands its events (already parsed and checked) to the
running trigger it names, and learns when they are durably queued. The trigger reads them as
an `InboxSource` through the same intake as every other source (backpressure, filter, status
counters, ack after the commit); the request is answered only then, so the sender retries
whatever the hub did not take. The queue is bounded: when it is full the request is refused
at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.events import Event
from hub.plugins.contract import Batch
from hub.plugins.webhooks import Pushed

QUEUE_SIZE = 64
ANSWER_WITHIN = 25.0  # under the Kubernetes API server's webhook timeout, so a 503 reaches it


class InboxClosed(Exception):
    """The trigger stopped, or its submit failed, before the request was queued durably."""


@dataclass(slots=True)
class PushRequest:
    events: list[Event]
    done: asyncio.Future[Pushed] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    kept: int = 0
    invocations: list[str] = field(default_factory=list)

    def submitted(self, kept: int, invocations: list[str]) -> None:
        self.kept, self.invocations = kept, invocations

    def answer(self, read: int) -> None:
        if not self.done.done():
            self.done.set_result(Pushed(len(self.events), read, self.kept, self.invocations))

    def fail(self, reason: str) -> None:
        if not self.done.done():
            self.done.set_exception(InboxClosed(reason))


@dataclass(slots=True)
class PushedBatch(Batch):
    """A batch read from an inbox: intake tells its request what it queued before the ack."""

    request: PushRequest | None = None


class Inbox:
    def __init__(self, kind: str, trigger: str, config: object) -> None:
        self.kind = kind
        self.trigger = trigger
        self.config = config
        self.queue: asyncio.Queue[PushRequest] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def close(self, reason: str) -> None:
        while not self.queue.empty():
            self.queue.get_nowait().fail(reason)


# Per process: one daemon serves one configuration, trigger names are unique within it.
_inboxes: dict[tuple[str, str], Inbox] = {}


def find_inbox(kind: str, trigger: str) -> Inbox | None:
    return _inboxes.get((kind, trigger))


class InboxSource:
    """The source of a push trigger: reads what webhook requests put in its inbox; acking a
    batch answers its request, a nack or a stop fails it. `keep` tests the source's own
    options on each event. Nothing to checkpoint: the sender holds the events until it gets
    its answer."""

    def __init__(
        self, kind: str, trigger: str, config: object, keep: Callable[[Event], bool] | None = None
    ) -> None:
        self._kind, self._trigger, self._config = kind, trigger, config
        self._keep = keep
        self._inbox: Inbox | None = None
        self._in_flight: PushRequest | None = None

    async def connect(self) -> None:
        key = (self._kind, self._trigger)
        if key in _inboxes:
            raise RuntimeError(f"a {self._kind} trigger named {self._trigger!r} is already running")
        self._inbox = _inboxes[key] = Inbox(self._kind, self._trigger, self._config)

    async def read(self) -> Batch:
        assert self._inbox is not None, "connect first"
        request = await self._inbox.queue.get()
        while request.done.done():  # the webhook gave up on it already (timed out)
            request = await self._inbox.queue.get()
        self._in_flight = request
        events: Sequence[Event] = request.events
        if self._keep is not None:
            events = [event for event in events if self._keep(event)]

        async def ack() -> None:
            request.answer(len(events))
            self._in_flight = None

        async def nack(reason: str) -> None:
            request.fail(reason)
            self._in_flight = None

        return PushedBatch(events, None, ack, nack, request=request)

    async def close(self) -> None:
        if self._in_flight is not None:
            self._in_flight.fail("the trigger stopped")
            self._in_flight = None
        if self._inbox is not None:
            if _inboxes.get((self._kind, self._trigger)) is self._inbox:
                del _inboxes[(self._kind, self._trigger)]
            self._inbox.close("the trigger stopped")
            self._inbox = None
