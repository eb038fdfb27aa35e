"""The trace context of the attempt or delivery running in this task, as a W3C `traceparent`.

Targets and deliverers read it here to pass it on (an HTTP header, a command's environment, a
Kafka or AMQP header) without importing OpenTelemetry: with tracing off it is always None, and
reading it is all they pay."""

from __future__ import annotations

from contextvars import ContextVar

current_traceparent: ContextVar[str | None] = ContextVar("triggerhub_traceparent", default=None)

TRACEPARENT = "traceparent"
"""The W3C header, and the CloudEvents distributed-tracing extension attribute."""
TRACESTATE = "tracestate"
ENV_TRACEPARENT = "TRACEPARENT"
"""The environment variable a command target reads (as OpenTelemetry's env carriers name it)."""


def traceparent() -> str | None:
    return current_traceparent.get()
