"""Time limits of running attempts, kept by one timer per few milliseconds of deadlines.

`asyncio.timeout` per attempt costs a timer handle, its heap push and its cancellation: at
thousands of attempts a second that was the executor's largest single cost. Here the attempts
whose limits end within the same `GRAIN` share one bucket and one timer; starting and ending
an attempt is a set insertion and removal. A limit fires at most `GRAIN` late.

Expiry works as `asyncio.timeout`'s does: the attempt's task is cancelled, and `end` takes that
cancellation back and says whether the CancelledError the attempt saw was the limit's (and not
a cancellation from outside, which must propagate).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

GRAIN = 0.005
"""Seconds: limits ending within one grain share a timer; a limit fires at most this late."""


@dataclass(slots=True, eq=False)
class Limit:
    """One running attempt's limit."""

    task: asyncio.Task[Any]
    cancelling: int  # the task's cancellation requests when the attempt started
    bucket: set[Limit] | None  # None once ended or expired
    expired: bool = False


class TimeLimits:
    def __init__(self) -> None:
        self._buckets: dict[int, set[Limit]] = {}

    def start(self, seconds: float) -> Limit:
        """A limit of `seconds` on the current task, from now until `end`."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None, "limits apply to tasks"
        tick = math.ceil((loop.time() + seconds) / GRAIN)
        bucket = self._buckets.get(tick)
        if bucket is None:
            bucket = self._buckets[tick] = set()
            loop.call_at(tick * GRAIN, self._expire_bucket, tick)
        limit = Limit(task, task.cancelling(), bucket)
        bucket.add(limit)
        return limit

    def expire(self, limit: Limit) -> bool:
        """End the attempt now, as if its limit had passed; False if it already ended or
        expired."""
        bucket = limit.bucket
        if bucket is None:
            return False
        bucket.discard(limit)
        limit.bucket = None
        limit.expired = True
        limit.task.cancel()
        return True

    def end(self, limit: Limit) -> bool:
        """The attempt's code returned or raised: stop watching it. True if the limit expired
        and the CancelledError the attempt raised is the limit's own (its cancellation is taken
        back); call it before the attempt's task awaits anything else."""
        bucket = limit.bucket
        if bucket is not None:
            bucket.discard(limit)
            limit.bucket = None
            return False
        if not limit.expired:
            return False
        return limit.task.uncancel() <= limit.cancelling

    def _expire_bucket(self, tick: int) -> None:
        for limit in list(self._buckets.pop(tick, ())):
            self.expire(limit)
