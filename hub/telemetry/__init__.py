"""Tracing of invocations with OpenTelemetry, when `hub.telemetry` is configured.

With it unset nothing here imports the SDK: `start_telemetry` returns None and every hook
point pays one None check (targets read `hub.telemetry.context.traceparent()`, None)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.telemetry.settings import TelemetrySettings

if TYPE_CHECKING:
    from hub.telemetry.tracing import Telemetry

__all__ = ["TelemetrySettings", "start_telemetry"]

TELEMETRY_PACKAGES = ("opentelemetry",)


def start_telemetry(settings: TelemetrySettings | None) -> Telemetry | None:
    """The tracer the settings ask for, or None; a missing SDK raises MissingExtraError naming
    `pip install 'triggerhub[telemetry]'`."""
    if settings is None:
        return None
    from hub.plugins.optional import import_extra  # not at import: the config imports this

    telemetry: type[Telemetry] = import_extra(
        "hub.telemetry.tracing", "Telemetry", extra="telemetry", packages=TELEMETRY_PACKAGES
    )
    return telemetry(settings)
