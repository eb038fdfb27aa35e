"""Hook points on the invocation pipeline, for metrics, tracing and log context.

Callbacks are plain synchronous functions called in the event loop: they must be cheap and
must not block. A callback that raises is logged and skipped, never allowed to break the
submit or the attempt it observes (as dramatiq's middleware are treated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from hub.invocation import Invocation
from hub.status import Condition, Status

log = structlog.get_logger("hub.hooks")

SubmittedHook = Callable[[str, int], None]
"""`(function, count)`: `count` new invocations were durably committed (duplicates excluded)."""
StartedHook = Callable[[Invocation, float], None]
"""`(inv, lateness_s)`: an attempt starts, `lateness_s` after the invocation became due
(`inv.attempts` is already the number of this attempt)."""
AttemptedHook = Callable[[Invocation, float], None]
"""`(inv, duration_s)`: an attempt ended, whatever came of it."""
FinishedHook = Callable[[Invocation, Status, float], None]
"""`(inv, status, age_s)`: the invocation reached a final status, `age_s` after it was created."""
RetryingHook = Callable[[Invocation, str, float, float], None]
"""`(inv, error, next_at, duration_s)`: attempt `inv.attempts` failed with `error` (it lasted
`duration_s`) and the next one is committed to start at `next_at`."""
EndedHook = Callable[[Invocation, Condition, str | None, float | None], None]
"""`(inv, condition, error, duration_s)`: the invocation was committed final with `condition`;
`duration_s` is its last attempt's, None when it ended without one (expired before it could
start, or stopped)."""
DeadLetteredHook = Callable[[str, str, str, str], None]
"""`(invocation_id, function, condition, destination)`: a failure's record reached the function's
`on_failure` destination (a function destination is reached when its invocation is
committed, with the failure)."""
DeliveryFailedHook = Callable[[bytes, str, str, bool], None]
"""`(record, slot, destination_type, gave_up)`: delivering a destination record (`slot`
on_success or on_failure) failed; `gave_up` when no further try will be made."""


class Hooks:
    def __init__(self) -> None:
        self.on_submitted: list[SubmittedHook] = []
        self.on_started: list[StartedHook] = []
        self.on_attempted: list[AttemptedHook] = []
        self.on_finished: list[FinishedHook] = []
        self.on_retrying: list[RetryingHook] = []
        self.on_ended: list[EndedHook] = []
        self.on_dead_lettered: list[DeadLetteredHook] = []
        self.on_delivery_failed: list[DeliveryFailedHook] = []

    def submitted(self, function: str, count: int) -> None:
        _emit("submitted", self.on_submitted, function, count)

    def started(self, inv: Invocation, lateness_s: float) -> None:
        _emit("started", self.on_started, inv, lateness_s)

    def attempted(self, inv: Invocation, duration_s: float) -> None:
        _emit("attempted", self.on_attempted, inv, duration_s)

    def finished(self, inv: Invocation, status: Status, age_s: float) -> None:
        _emit("finished", self.on_finished, inv, status, age_s)

    def retrying(self, inv: Invocation, error: str, next_at: float, duration_s: float) -> None:
        _emit("retrying", self.on_retrying, inv, error, next_at, duration_s)

    def ended(
        self, inv: Invocation, condition: Condition, error: str | None, duration_s: float | None
    ) -> None:
        _emit("ended", self.on_ended, inv, condition, error, duration_s)

    def dead_lettered(
        self, invocation_id: str, function: str, condition: str, destination: str
    ) -> None:
        _emit(
            "dead_lettered", self.on_dead_lettered, invocation_id, function, condition, destination
        )
    def delivery_failed(
        self, record: bytes, slot: str, destination_type: str, gave_up: bool
    ) -> None:
        _emit("delivery_failed", self.on_delivery_failed, record, slot, destination_type, gave_up)


def _emit(hook: str, callbacks: list[Any], *args: Any) -> None:
    for callback in callbacks:
        try:
            callback(*args)
        except Exception as exc:
            log.exception(
                "hook callback failed",
                hook=hook,
                callback=getattr(callback, "__qualname__", repr(callback)),
                error=repr(exc),
            )
