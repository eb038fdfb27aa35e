"""Sleep until the next due time or until a commit makes something due sooner; never a poll."""

from __future__ import annotations

import asyncio
import math

from hub import clock


class Alarm:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._wake_at = math.inf

    def nudge(self, at: float) -> None:
        """Called (in the loop) when work becomes due at `at`."""
        if at < self._wake_at:
            self._event.set()

    def arm(self) -> None:
        """Forget past nudges; any nudge from now on wakes the next sleep at once."""
        self._event.clear()
        self._wake_at = math.inf

    async def sleep_until(self, at: float | None) -> None:
        if self._event.is_set():
            return
        self._wake_at = math.inf if at is None else at
        delay = None if at is None else max(0.0, at - clock.now())
        try:
            async with asyncio.timeout(delay):
                await self._event.wait()
        except TimeoutError:
            pass
        finally:
            self._wake_at = math.inf
