"""What this daemon saw happen, kept in memory for the console: outcomes per minute over the
last hour, recent run and wait times per function, recent failures, and a change counter the
live updates watch. Fed by the hub's hooks, so reading it costs nothing at any store size."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import TypeVar

from hub import clock
from hub.hooks import Hooks
from hub.invocation import Invocation
from hub.status import Condition, Status

T = TypeVar("T")
MINUTES = 60
SAMPLES = 2000  # per function: enough for a stable p99, small enough to sort on each view
FAILURES = 10
CHARTED = (Status.SUCCEEDED, Status.FAILED, Status.EXPIRED)


@dataclass(slots=True, frozen=True)
class Failure:
    id: str
    at: float
    condition: str
    error: str | None


class Activity:
    def __init__(self) -> None:
        self.version = 0
        self._minutes: dict[int, Counter[str]] = {}
        self.run_times: defaultdict[str, deque[float]] = defaultdict(self._samples)
        self.waits: defaultdict[str, deque[float]] = defaultdict(self._samples)
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.failures: defaultdict[str, deque[Failure]] = defaultdict(
            lambda: deque(maxlen=FAILURES)
        )

    @staticmethod
    def _samples() -> deque[float]:
        return deque(maxlen=SAMPLES)

    def attach(self, hooks: Hooks) -> None:
        hooks.on_submitted.append(self._on_submitted)
        hooks.on_started.append(self._on_started)
        hooks.on_attempted.append(self._on_attempted)
        hooks.on_finished.append(self._on_finished)
        hooks.on_ended.append(self._on_ended)

    def detach(self, hooks: Hooks) -> None:
        _drop(hooks.on_submitted, self._on_submitted)
        _drop(hooks.on_started, self._on_started)
        _drop(hooks.on_attempted, self._on_attempted)
        _drop(hooks.on_finished, self._on_finished)
        _drop(hooks.on_ended, self._on_ended)

    def per_minute(self, now: float | None = None) -> list[tuple[int, Counter[str]]]:
        """The last hour, oldest first: (minute as epoch seconds, finished by status)."""
        current = int((clock.now() if now is None else now) // 60)
        return [
            (m * 60, self._minutes.get(m, Counter()))
            for m in range(current - MINUTES + 1, current + 1)
        ]

    def _on_submitted(self, function: str, count: int) -> None:
        self.version += 1

    def _on_started(self, inv: Invocation, lateness_s: float) -> None:
        self.waits[inv.function].append(lateness_s)
        self.version += 1

    def _on_attempted(self, inv: Invocation, duration_s: float) -> None:
        self.run_times[inv.function].append(duration_s)

    def _on_finished(self, inv: Invocation, status: Status, age_s: float) -> None:
        minute = int(clock.now() // 60)
        self._minutes.setdefault(minute, Counter())[str(status)] += 1
        for old in [m for m in self._minutes if m <= minute - MINUTES]:
            del self._minutes[old]
        self.outcomes[inv.function][str(status)] += 1
        self.version += 1

    def _on_ended(
        self, inv: Invocation, condition: Condition, error: str | None, duration_s: float | None
    ) -> None:
        if condition is not Condition.SUCCESS:
            self.failures[inv.function].appendleft(
                Failure(inv.id, clock.now(), str(condition), error)
            )


def percentile(samples: deque[float] | list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _drop(callbacks: list[T], callback: T) -> None:
    if callback in callbacks:
        callbacks.remove(callback)
