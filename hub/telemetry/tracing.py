"""Traces of invocations through the OpenTelemetry SDK, exported over OTLP/HTTP.

Imported only when `hub.telemetry` is configured. One trace per event: a `receive` span when
the hub takes it (a child of the context it came with), a `process` span per attempt and a
`send` span per destination delivery. The receive span's context is written into the stored
event as its CloudEvents `traceparent` extension, and the last attempt's into the destination
record, so an attempt or delivery made after a restart, or by another daemon, joins the trace.
Names and attributes follow the OpenTelemetry messaging semantic conventions, the hub acting as
the queue between event sources and functions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import Token
from dataclasses import dataclass
from typing import Any

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from hub.hooks import Hooks
from hub.invocation import Invocation
from hub.status import Condition
from hub.store.base import Checkpoint, Delivery, Submitted
from hub.telemetry.carriers import incoming
from hub.telemetry.context import current_traceparent
from hub.telemetry.export import LOG_EVERY, OncePerInterval, QuietExporter
from hub.telemetry.receiving import Batches, receive
from hub.telemetry.settings import TelemetrySettings
from hub.telemetry.spans import SYSTEM, context_of, mark_failed, traceparent_of

EXPORT_TIMEOUT = 5.0
"""Seconds one export may take, retries included: a collector that is down costs the exporting
thread this long per batch; on stop, no batch starts later than this (see shutdown)."""

# The exporter's own log lines (one per failed batch, each retry) would flood the daemon's log
# while a collector is down; QuietExporter says it once in a while instead. The batch
# processor warns once per span it drops when its queue is full: once a minute is enough.
logging.getLogger("opentelemetry.exporter").setLevel(logging.CRITICAL)
for _name in ("opentelemetry.sdk._shared_internal", "opentelemetry.sdk.trace.export"):
    logging.getLogger(_name).addFilter(OncePerInterval(LOG_EVERY))


@dataclass(slots=True)
class _Running:
    span: Span
    context_token: Token[otel_context.Context]
    traceparent_token: Token[str | None]


class Telemetry:
    def __init__(self, settings: TelemetrySettings) -> None:
        self.settings = settings
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": settings.service_name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample)),
        )
        exporter = OTLPSpanExporter(endpoint=settings.traces_url, timeout=EXPORT_TIMEOUT)
        self._exporter = QuietExporter(exporter)
        self.provider.add_span_processor(BatchSpanProcessor(self._exporter))
        self.tracer = self.provider.get_tracer("triggerhub")
        self._attempts: dict[str, _Running] = {}

    # -- source receive / submit (receiving.py) ----------------------------------------------

    async def received(
        self,
        batches: Batches,
        source: str | None,
        submit: Callable[[Batches, Checkpoint | None], Awaitable[list[list[Submitted]]]],
        checkpoint: Checkpoint | None,
    ) -> list[list[Submitted]]:
        """`submit` the events, stamped with their receive spans' contexts, inside them."""
        receiving = receive(self.tracer, batches, source)
        try:
            results = await submit(receiving.batches, checkpoint)
        except BaseException as exc:
            receiving.failed(exc)
            raise
        receiving.committed(results)
        return results

    # -- attempts, through the executor's hooks ----------------------------------------------

    def attach(self, hooks: Hooks) -> None:
        hooks.on_started.append(self._started)
        hooks.on_retrying.append(self._retrying)
        hooks.on_ended.append(self._ended)
        hooks.on_attempted.append(self._attempted)

    def _started(self, inv: Invocation, _lateness: float) -> None:
        attributes = inv.wire.attributes()
        parent, state = incoming(attributes)
        span = self.tracer.start_span(
            f"process {inv.function}",
            context=context_of(parent, state),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": SYSTEM,
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.destination.name": inv.function,
                "messaging.message.id": str(attributes.get("id")),
                "triggerhub.invocation.id": inv.id,
                "triggerhub.attempt": inv.attempts,
            },
        )
        # Set in the executor task's context: the target call, a python handler (its thread
        # too) and the destination record built when it ends all see this attempt's span.
        self._attempts[inv.id] = _Running(
            span,
            otel_context.attach(trace.set_span_in_context(span)),
            current_traceparent.set(traceparent_of(span)),
        )

    def _retrying(self, inv: Invocation, error: str, _next_at: float, _duration: float) -> None:
        running = self._attempts.get(inv.id)
        if running is not None:
            mark_failed(running.span, error, "retrying")

    def _ended(
        self, inv: Invocation, condition: Condition, error: str | None, _duration: float | None
    ) -> None:
        running = self._attempts.get(inv.id)
        if running is None:
            return  # ended without an attempt in this task (expired, stopped)
        running.span.set_attribute("triggerhub.condition", str(condition))
        if condition is Condition.SUCCESS:
            running.span.set_status(Status(StatusCode.OK))
        else:
            mark_failed(running.span, error or str(condition), str(condition))

    def _attempted(self, inv: Invocation, _duration: float) -> None:
        running = self._attempts.pop(inv.id, None)
        if running is None:
            return
        running.span.end()
        current_traceparent.reset(running.traceparent_token)
        otel_context.detach(running.context_token)

    # -- destination deliveries ---------------------------------------------------------------

    async def delivering(self, delivery: Delivery, send: Awaitable[str]) -> str:
        """Await `send` (the delivery of `delivery`) inside a send span, a child of the attempt
        that made the record."""
        record: dict[str, Any] = orjson.loads(delivery.record)
        destination: dict[str, Any] = orjson.loads(delivery.destination)
        kind = str(destination.get("type"))
        span = self.tracer.start_span(
            f"send {kind}",
            context=context_of(_record_parent(record)),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": SYSTEM,
                "messaging.operation.type": "send",
                "messaging.operation.name": "send",
                "messaging.destination.name": kind,
                "triggerhub.invocation.id": delivery.invocation_id,
                "triggerhub.destination.slot": delivery.slot,
                "triggerhub.delivery.attempt": delivery.attempts + 1,
            },
        )
        context_token = otel_context.attach(trace.set_span_in_context(span))
        traceparent_token = current_traceparent.set(traceparent_of(span))
        try:
            detail = await send
        except Exception as exc:
            mark_failed(span, f"{type(exc).__name__}: {exc}", type(exc).__name__)
            raise
        else:
            span.set_status(Status(StatusCode.OK))
            return detail
        finally:
            span.end()
            current_traceparent.reset(traceparent_token)
            otel_context.detach(context_token)

    async def shutdown(self) -> None:
        """Export what is buffered and stop: batches are sent for EXPORT_TIMEOUT, each one
        taking at most that long, so a stop waits at most twice EXPORT_TIMEOUT."""
        self._exporter.start_none_after(time.monotonic() + EXPORT_TIMEOUT)
        await asyncio.to_thread(self.provider.shutdown)


def _record_parent(record: dict[str, Any]) -> str | None:
    """The attempt that made the record; for one made without an attempt (a stop, an event
    that aged out before it could run), the receive span its event remembers."""
    parent = incoming(record)[0]
    if parent is None and isinstance(payload := record.get("request_payload"), dict):
        parent = incoming(payload)[0]
    return parent
