"""What flow control did, counted in this daemon: invocations a rate limit held back. The
function status (GET /v1/functions) and the metrics read it."""

from __future__ import annotations

from collections import Counter

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PromCounter

from hub.invocation import Invocation


class FlowCounts:
    def __init__(self) -> None:
        self.throttled: Counter[str] = Counter()

    def on_started(self, inv: Invocation, _lateness_s: float) -> None:
        if inv.throttled:
            self.throttled[inv.function] += 1

    def status(self, function: str) -> dict[str, int]:
        return {"throttled": self.throttled[function]}


class FlowMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.throttled = PromCounter(
            "triggerhub_invocations_throttled",
            "Attempts that started later than due because a rate_limit held them back.",
            ["function"],
            registry=registry,
        )

    def on_started(self, inv: Invocation, _lateness_s: float) -> None:
        if inv.throttled:
            self.throttled.labels(inv.function).inc()
