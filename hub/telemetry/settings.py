"""The `hub.telemetry:` section: where traces go and how many are kept."""

from __future__ import annotations

from importlib.util import find_spec
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from hub.config.base import Strict

SDK_MODULES = ("opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http.trace_exporter")


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


class TelemetrySettings(Strict):
    otlp_endpoint: str = Field(
        description="Base URL of an OTLP/HTTP collector (`http://collector:4318`); the hub "
        "posts protobuf to `<otlp_endpoint>/v1/traces`, as the OTLP environment variables do.",
    )
    sample: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Fraction of traces kept, by trace id; an incoming sampled flag is obeyed.",
    )
    service_name: str = Field(
        "triggerhub", min_length=1, description="The `service.name` resource attribute."
    )

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.query or parts.fragment:
            raise ValueError("must have no query or fragment: /v1/traces is appended to it")
        return value

    @model_validator(mode="after")
    def _sdk_installed(self) -> TelemetrySettings:
        # Found, not imported: checked where the file says to trace, so `validate` tells too.
        if not all(_installed(module) for module in SDK_MODULES):
            raise ValueError(
                "tracing needs the OpenTelemetry SDK: pip install 'triggerhub[telemetry]'"
            )
        return self

    @property
    def traces_url(self) -> str:
        return self.otlp_endpoint.rstrip("/") + "/v1/traces"
