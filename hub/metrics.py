"""Prometheus metrics for one hub, in a registry of their own (never the process-global one, so
several hubs or test apps in one process do not collide).

Counters and histograms are fed by `Hooks`; the backlog, whether the store takes writes and the
trigger figures are read when scraped (hub.scraped_metrics), so they are never stale. The names
and label sets are a public interface (README "Metrics reference", deploy/grafana,
deploy/prometheus): rename none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

import orjson
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from hub import clock
from hub.flow.status import FlowMetrics
from hub.hooks import Hooks
from hub.invocation import Invocation
from hub.metric_children import Children
from hub.scraped_metrics import ScrapeTimeCollector, TriggersStatus
from hub.status import Status
from hub.store.base import Checkpoint

if TYPE_CHECKING:
    from hub.engine import Hub

log = structlog.get_logger("hub.metrics")

# The latency target is milliseconds, so the buckets start there; attempts may run minutes.
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    300.0, 900.0, 3600.0,
)  # fmt: skip

DROPPED = frozenset({Status.FAILED, Status.EXPIRED, Status.STOPPED})
# The scrape's write probe: a checkpoint row no trigger uses (trigger names cannot hold ':').
STORE_PROBE = "triggerhub:store-probe"
# A store that does not answer within this is as good as down for the scrape.
STORE_TIMEOUT = 5.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.submitted = Counter(
            "triggerhub_invocations_submitted",
            "Invocations durably queued (idempotent duplicates excluded).",
            ["function"],
            registry=self.registry,
        )
        self.finished = Counter(
            "triggerhub_invocations_finished",
            "Invocations that reached a final status.",
            ["function", "status"],
            registry=self.registry,
        )
        self.attempt_duration = Histogram(
            "triggerhub_attempt_duration_seconds",
            "Duration of each function attempt, whatever its outcome.",
            ["function"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.start_latency = Histogram(
            "triggerhub_start_latency_seconds",
            "From when an invocation became due (its submit, or its not-before time when "
            "deferred) to the start of its first attempt.",
            ["function"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.invocation_age = Histogram(
            "triggerhub_invocation_duration_seconds",
            "From submit to final status, retries and deferral included.",
            ["function"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.event_age_at_start = Histogram(
            "triggerhub_event_age_at_start_seconds",
            "From when an invocation was durably queued to the start of each of its attempts, "
            "retries and deferral included (the clouds' async event age).",
            ["function"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.dropped = Counter(
            "triggerhub_invocations_dropped",
            "Invocations that ended without success (status failed, expired or stopped): their "
            "event was not processed; an on_failure destination, if any, got the record.",
            ["function", "status"],
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "triggerhub_destination_delivery_failures",
            "Failed deliveries of a destination record (each failed try; it is retried).",
            ["function", "destination", "type"],
            registry=self.registry,
        )
        self.deliveries_abandoned = Counter(
            "triggerhub_destination_deliveries_abandoned",
            "Destination records given up after hub.destination_attempts failed tries.",
            ["function", "destination", "type"],
            registry=self.registry,
        )
        self.flow = FlowMetrics(self.registry)
        self._submitted = Children(self.submitted)
        self._finished = Children(self.finished)
        self._dropped = Children(self.dropped)
        self._event_age_at_start = Children(self.event_age_at_start)
        self._start_latency = Children(self.start_latency)
        self._attempt_duration = Children(self.attempt_duration)
        self._invocation_age = Children(self.invocation_age)
        self._scraped = ScrapeTimeCollector()
        self.registry.register(self._scraped)

    def attach(self, hooks: Hooks) -> None:
        hooks.on_submitted.append(self._on_submitted)
        hooks.on_started.append(self._on_started)
        hooks.on_started.append(self.flow.on_started)
        hooks.on_attempted.append(self._on_attempted)
        hooks.on_finished.append(self._on_finished)
        hooks.on_delivery_failed.append(self._on_delivery_failed)

    def detach(self, hooks: Hooks) -> None:
        for callbacks, callback in (
            (hooks.on_submitted, self._on_submitted),
            (hooks.on_started, self._on_started),
            (hooks.on_started, self.flow.on_started),
            (hooks.on_attempted, self._on_attempted),
            (hooks.on_finished, self._on_finished),
            (hooks.on_delivery_failed, self._on_delivery_failed),
        ):
            if callback in callbacks:
                callbacks.remove(callback)  # type: ignore[arg-type]

    async def scrape(self, hub: Hub, triggers: TriggersStatus | None = None) -> bytes:
        """The exposition text, with the store read and probed now. A store that fails or
        does not answer still gives a scrape: no backlog and `triggerhub_store_writable 0`,
        which is what the alert needs to see."""
        counts: Mapping[str, int] | None = None
        try:
            async with asyncio.timeout(STORE_TIMEOUT):
                counts = await hub.counts()
        except Exception as exc:
            log.warning("reading the backlog for metrics failed", error=repr(exc))
        self._scraped.store_writable = await _store_writable(hub)
        self._scraped.functions_paused = {f: hub.pauses.function_paused(f) for f in hub.functions}
        return self.render(counts, triggers)

    def render(
        self, counts: Mapping[str, int] | None, triggers: TriggersStatus | None = None
    ) -> bytes:
        """The exposition text, with the backlog `counts` (from `Hub.counts()`, read by the
        caller because it is async; None when it could not be read) and the trigger figures
        read now."""
        self._scraped.counts = None if counts is None else dict(counts)
        self._scraped.triggers = triggers
        return generate_latest(self.registry)

    def _on_submitted(self, function: str, count: int) -> None:
        self._submitted(function).inc(count)

    def _on_started(self, inv: Invocation, lateness_s: float) -> None:
        started_at = inv.not_before + lateness_s
        self._event_age_at_start(inv.function).observe(max(0.0, started_at - inv.created_at))
        # Retries start late by design (their backoff); only the first attempt measures the
        # hub's own latency.
        if inv.attempts == 1:
            self._start_latency(inv.function).observe(max(0.0, lateness_s))

    def _on_attempted(self, inv: Invocation, duration_s: float) -> None:
        self._attempt_duration(inv.function).observe(max(0.0, duration_s))

    def _on_finished(self, inv: Invocation, status: Status, age_s: float) -> None:
        self._finished(inv.function, str(status)).inc()
        self._invocation_age(inv.function).observe(max(0.0, age_s))
        if status in DROPPED:
            self._dropped(inv.function, str(status)).inc()

    def _on_delivery_failed(self, record: bytes, slot: str, kind: str, gave_up: bool) -> None:
        function = _record_function(record)
        self.delivery_failures.labels(function, slot, kind).inc()
        if gave_up:
            self.deliveries_abandoned.labels(function, slot, kind).inc()


async def _store_writable(hub: Hub) -> bool:
    """One real durable write (a checkpoint upsert, through the same commit path as every
    submit): a full disk, a read-only file system or database, or lost privileges fail it."""
    try:
        async with asyncio.timeout(STORE_TIMEOUT):
            await hub.store.set_checkpoint(Checkpoint(STORE_PROBE, f"{clock.now():.3f}"))
    except Exception as exc:
        log.warning("the store did not take the metrics write probe", error=repr(exc))
        return False
    return True


def _record_function(record: bytes) -> str:
    try:
        function = orjson.loads(record)["request_context"]["function"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return ""
    return function if isinstance(function, str) else ""
