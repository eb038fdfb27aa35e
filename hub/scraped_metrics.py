"""The metric families read when scraped rather than counted as they happen: the backlog by
status, whether the store took the scrape's write, and the trigger figures (see hub.metrics)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.status import ACTIVE

log = structlog.get_logger("hub.metrics")

TriggersStatus = Callable[[], Mapping[str, Any]]


class ScrapeTimeCollector(Collector):
    """Families whose values are read at scrape time rather than counted as they happen."""

    def __init__(self) -> None:
        self.counts: dict[str, int] | None = {}
        self.triggers: TriggersStatus | None = None
        self.store_writable: bool | None = None
        # Each configured function and whether it is paused (hub.control.pausing).
        self.functions_paused: dict[str, bool] = {}

    def describe(self) -> Iterator[Metric]:
        # Describing no families keeps registration from calling collect() before a scrape.
        return iter(())

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "triggerhub_backlog",
            "Invocations not yet final, by status (read from the store at scrape time).",
            labels=["status"],
        )
        if self.counts is not None:
            for status in sorted(ACTIVE):
                backlog.add_metric([str(status)], float(self.counts.get(str(status), 0)))
        yield backlog
        writable = GaugeMetricFamily(
            "triggerhub_store_writable",
            "1 when the store took a durable write at this scrape, 0 when it failed or did "
            "not answer within 5 s.",
        )
        if self.store_writable is not None:
            writable.add_metric([], 1.0 if self.store_writable else 0.0)
        yield writable
        paused = GaugeMetricFamily(
            "triggerhub_function_paused",
            "1 while a function is paused by an operator (its invocations kept, none started).",
            labels=["function"],
        )
        for function, is_paused in sorted(self.functions_paused.items()):
            paused.add_metric([function], 1.0 if is_paused else 0.0)
        yield paused
        yield from _trigger_families(self.triggers)


def _trigger_families(triggers: TriggersStatus | None) -> Iterator[Metric]:
    """From `TriggerSet.status()`: trigger name to its status (hub.intake.trigger_status), whose
    `type`, `functions`, `lag`, `restarts` (errors that made it reconnect), `events_in`,
    `events_filtered`, `gaps` and `state` are used."""
    info = GaugeMetricFamily(
        "triggerhub_trigger_info",
        "1 for each function a trigger feeds, with the trigger's type: join trigger figures "
        "to functions with `* on (trigger) group_left(function) triggerhub_trigger_info`.",
        labels=["trigger", "type", "function"],
    )
    lag = GaugeMetricFamily(
        "triggerhub_trigger_lag",
        "How far a trigger is behind its source, in the source's unit (messages, bytes, "
        "seconds), as the trigger reports it.",
        labels=["trigger"],
    )
    errors = CounterMetricFamily(
        "triggerhub_trigger_errors",
        "Errors that made a trigger reconnect or restart since the daemon started.",
        labels=["trigger"],
    )
    gaps = CounterMetricFamily(
        "triggerhub_trigger_gaps",
        "Times a trigger skipped source history it could no longer read (each one logged).",
        labels=["trigger"],
    )
    events = CounterMetricFamily(
        "triggerhub_trigger_events",
        "Events a trigger has read from its source since the daemon started.",
        labels=["trigger"],
    )
    filtered = CounterMetricFamily(
        "triggerhub_trigger_events_filtered",
        "Events a trigger's filter left out (read and acknowledged, no invocation).",
        labels=["trigger"],
    )
    state = GaugeMetricFamily(
        "triggerhub_trigger_state",
        "1 for the state each trigger is in (connected, paused, reconnecting, failed, ...).",
        labels=["trigger", "state"],
    )
    parts = GaugeMetricFamily(
        "triggerhub_trigger_partition_lag",
        "Lag of each part of a trigger's source (Kafka: per topic/partition).",
        labels=["trigger", "part"],
    )
    for name, status in _read_triggers(triggers).items():
        if not isinstance(status, Mapping):
            continue
        detail = status.get("lag_detail")
        if isinstance(detail, Mapping):
            for part, value in detail.items():
                if _is_number(value):
                    parts.add_metric([name, str(part)], float(value))
        for family, key in (
            (lag, "lag"),
            (errors, "restarts"),
            (events, "events_in"),
            (filtered, "events_filtered"),
            (gaps, "gaps"),
        ):
            if _is_number(status.get(key)):
                family.add_metric([name], float(status[key]))
        if isinstance(status.get("state"), str):
            state.add_metric([name, status["state"]], 1.0)
        functions = status.get("functions")
        if isinstance(functions, list):
            for function in functions:
                info.add_metric([name, str(status.get("type", "")), str(function)], 1.0)
    yield from (info, lag, parts, errors, events, filtered, gaps, state)


def _read_triggers(triggers: TriggersStatus | None) -> Mapping[str, Any]:
    if triggers is None:
        return {}
    try:
        return triggers()
    except Exception as exc:
        # A broken status callback must not take the whole scrape down with it.
        log.exception("reading trigger status for metrics failed", error=repr(exc))
        return {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
