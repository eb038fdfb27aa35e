"""An invocation's history as spans on one time axis: the wait in the queue, each attempt's
run, the backoff between attempts, drawn to scale (the template turns them into SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from hub import clock
from hub.invocation import Invocation, Transition

WIDTH = 1000.0  # SVG user units; the picture scales to the page
MIN_WIDTH = 2.0  # a span too short to see still shows
DEFERRED = 0.5


@dataclass(slots=True, frozen=True)
class Span:
    kind: str  # wait, run, backoff, delivery
    label: str
    start: float
    end: float
    x: float = 0.0
    width: float = 0.0

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(slots=True, frozen=True)
class Timeline:
    spans: list[Span]
    total: float
    marks: list[Transition]


def timeline(inv: Invocation, now: float | None = None) -> Timeline:
    history = inv.history
    if not history:
        return Timeline([], 0.0, [])
    spans = list(_spans(history, inv.not_before, clock.now() if now is None else now))
    begin = history[0].at
    end = max([s.end for s in spans] + [t.at for t in history])
    total = max(end - begin, 1e-6)
    scale = WIDTH / total
    placed = [
        Span(
            s.kind,
            s.label,
            s.start,
            s.end,
            x=min((s.start - begin) * scale, WIDTH - MIN_WIDTH),
            width=max(MIN_WIDTH, (s.end - s.start) * scale),
        )
        for s in spans
    ]
    return Timeline(placed, end - begin, list(history))


def _spans(history: list[Transition], not_before: float, now: float) -> list[Span]:
    spans: list[Span] = []
    pending: Transition | None = None  # where the current span began
    for step in history:
        if pending is not None:
            spans.append(_span(pending, step.at, not_before))
        pending = step if step.status in ("queued", "running", "retrying") else None
    if pending is not None:  # still waiting or running: the span runs up to now
        spans.append(_span(pending, max(now, pending.at), not_before))
    return spans


def _span(begin: Transition, end: float, not_before: float) -> Span:
    if begin.status == "running":
        return Span("run", begin.detail or "attempt", begin.at, end)
    if begin.status == "retrying":
        return Span("backoff", "backoff", begin.at, end)
    # Deferred on purpose (a delay, a not-before time), not by the instants a submit stamps.
    deferred = not_before > begin.at + DEFERRED
    return Span("wait", "deferred, then queued" if deferred else "queue wait", begin.at, end)
