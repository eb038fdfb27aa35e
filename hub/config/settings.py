"""The `hub:` section: where invocations are stored and how many run at once."""

from pydantic import Field

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.telemetry.settings import TelemetrySettings

DEFAULT_DEDUP_WINDOW = 24 * 3600.0


class StoreSettings(Strict):
    url: str = Field(
        "sqlite:///./.triggerhub/hub.db", description="sqlite:///PATH or postgresql://…"
    )
    synchronous: str = Field(
        "full",
        pattern="^(full|normal)$",
        description="SQLite: `full` fsyncs every group commit (survives power loss); "
        "`normal` survives a process crash only.",
    )
    dedup_window: Duration = Field(DEFAULT_DEDUP_WINDOW, gt=0)
    retention: Duration = Field(7 * 86400.0, gt=0)
    lease_timeout: Duration = Field(
        30.0, gt=0, description="A leased invocation whose daemon died runs again after this."
    )


class HubSettings(Strict):
    store: StoreSettings = Field(default_factory=StoreSettings)
    executors: int = Field(64, ge=1, le=10_000)
    queue_size: int = Field(1024, ge=1, description="Invocations leased ahead into memory.")
    max_backlog: int = Field(
        100_000, ge=1, description="Queued invocations above which triggers pause intake."
    )
    drain_timeout: Duration = Field(30.0, ge=0)
    destination_attempts: int = Field(8, ge=1, le=100)
    telemetry: TelemetrySettings | None = Field(
        None, description="Traces of invocations exported over OTLP/HTTP; none when unset."
    )
