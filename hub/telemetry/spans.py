"""Span helpers shared by the receive, process and send spans."""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from hub.redact import redact_text
from hub.telemetry.context import TRACEPARENT, TRACESTATE

SYSTEM = "triggerhub"
_propagator = TraceContextTextMapPropagator()


def context_of(traceparent: str | None, tracestate: str | None = None) -> otel_context.Context:
    if traceparent is None:
        return otel_context.Context()
    carrier = {TRACEPARENT: traceparent}
    if tracestate:
        carrier[TRACESTATE] = tracestate
    return _propagator.extract(carrier, context=otel_context.Context())


def traceparent_of(span: Span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def mark_failed(span: Span, error: str, kind: str) -> None:
    # A collector is one more exit: an error quotes URLs, replies and inputs, so it is
    # redacted as in the invocation record (not a recorded exception: its traceback is not).
    span.set_status(Status(StatusCode.ERROR, redact_text(error)))
    span.set_attribute("error.type", kind)
