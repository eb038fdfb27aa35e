"""The receive spans: one per event the hub takes, a child of the context it came with, its
own context written into the stored event as its `traceparent` extension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Tracer

from hub.events import Event, WireEvent
from hub.store.base import Submitted
from hub.telemetry.carriers import incoming, with_extensions
from hub.telemetry.context import TRACEPARENT
from hub.telemetry.spans import SYSTEM, context_of, mark_failed, traceparent_of

Batches = Sequence[tuple[str, Sequence[Event | WireEvent]]]


class Receiving:
    """The receive spans of one submit, open until its commit came back."""

    def __init__(self, batches: Batches, spans: list[Span], positions: list[list[int]]) -> None:
        self.batches = batches
        self._spans = spans
        self._positions = positions

    def committed(self, results: list[list[Submitted]]) -> None:
        ids: list[list[str]] = [[] for _ in self._spans]
        duplicate = [False] * len(self._spans)
        for function_index, per_function in enumerate(results):
            for event_index, submitted in enumerate(per_function):
                at = self._positions[function_index][event_index]
                ids[at].append(submitted.id)
                duplicate[at] = duplicate[at] or not submitted.created
        for span, invocations, repeated in zip(self._spans, ids, duplicate, strict=True):
            if span.is_recording():
                # One per function the event went to; a duplicate's id is the first one's.
                span.set_attribute("triggerhub.invocation.id", invocations)
                if repeated:
                    span.set_attribute("triggerhub.duplicate", True)
            span.end()

    def failed(self, exc: BaseException) -> None:
        for span in self._spans:
            mark_failed(span, f"{type(exc).__name__}: {exc}", type(exc).__name__)
            span.end()


def receive(tracer: Tracer, batches: Batches, source: str | None) -> Receiving:
    """A receive span per distinct event, its context made the event's `traceparent`
    extension as it is stored."""
    spans: list[Span] = []
    stamped: dict[int, tuple[int, WireEvent]] = {}
    positions: list[list[int]] = []
    out: list[tuple[str, Sequence[Event | WireEvent]]] = []
    for function, events in batches:
        mine: list[Event | WireEvent] = []
        where: list[int] = []
        for event in events:
            seen = stamped.get(id(event))
            if seen is None:
                span = _receive_span(tracer, event, source)
                values = {TRACEPARENT: traceparent_of(span)}
                seen = stamped[id(event)] = (len(spans), with_extensions(event, values))
                spans.append(span)
            where.append(seen[0])
            mine.append(seen[1])
        out.append((function, mine))
        positions.append(where)
    return Receiving(out, spans, positions)


def _receive_span(tracer: Tracer, event: Event | WireEvent, source: str | None) -> Span:
    parsed = event.event if isinstance(event, WireEvent) else event
    parent, state = incoming({**parsed.extensions})
    parent_context = context_of(parent, state)
    links = []
    if parent is not None:
        # The sender's context is the creation context of the message: parent and link.
        links.append(Link(trace.get_current_span(parent_context).get_span_context()))
    attributes: dict[str, Any] = {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "receive",
        "messaging.operation.name": "receive",
        "messaging.message.id": parsed.id,
        "cloudevents.event_source": parsed.source,
        "cloudevents.event_type": parsed.type,
    }
    if source is not None:
        attributes["messaging.destination.name"] = source
    if parsed.subject is not None:
        attributes["cloudevents.event_subject"] = parsed.subject
    return tracer.start_span(
        f"receive {source}" if source else "receive",
        context=parent_context,
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        links=links,
    )
