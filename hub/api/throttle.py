"""Log lines about a flood, at most one per interval, each counting the ones held back."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._next = float("-inf")
        self._held = 0

    def allow(self) -> int | None:
        """None while the interval since the last allowed line runs; otherwise how many were
        held back since it (the caller logs that number with its line)."""
        now = self._clock()
        if now < self._next:
            self._held += 1
            return None
        self._next = now + self.every
        held, self._held = self._held, 0
        return held
