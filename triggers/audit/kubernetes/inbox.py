"""Where the webhook hands the events of an EventList (one per entry, already checked) to the
running trigger of that name, and gets told when they are durably queued. The webhook answers
only then, so the API server retries whatever the hub did not take. The queue is bounded: when
it is full the webhook answers 503 at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hub.events import Event

QUEUE_SIZE = 64


class InboxClosed(Exception):
    """The trigger stopped before the request was queued durably."""


@dataclass(slots=True)
class Request:
    events: list[Event]
    done: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def finish(self, accepted: int) -> None:
        if not self.done.done():
            self.done.set_result(accepted)

    def fail(self, reason: str) -> None:
        if not self.done.done():
            self.done.set_exception(InboxClosed(reason))


class Inbox:
    def __init__(self, trigger: str) -> None:
        self.trigger = trigger
        self.queue: asyncio.Queue[Request] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def close(self, reason: str) -> None:
        while not self.queue.empty():
            self.queue.get_nowait().fail(reason)


# Per process: one daemon serves one configuration, trigger names are unique within it.
_inboxes: dict[str, Inbox] = {}


def open_inbox(trigger: str) -> Inbox:
    if trigger in _inboxes:
        raise RuntimeError(f"a kubernetes audit trigger named {trigger!r} is already running")
    inbox = _inboxes[trigger] = Inbox(trigger)
    return inbox


def close_inbox(inbox: Inbox, reason: str) -> None:
    if _inboxes.get(inbox.trigger) is inbox:
        del _inboxes[inbox.trigger]
    inbox.close(reason)


def find_inbox(trigger: str) -> Inbox | None:
    return _inboxes.get(trigger)
