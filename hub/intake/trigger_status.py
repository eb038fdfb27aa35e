"""What each trigger is doing, for `triggerhub status`, the HTTP API and the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.redact import redact_json, redact_text
from hub.timefmt import to_rfc3339


class TriggerState(StrEnum):
    STARTING = "starting"
    CONNECTED = "connected"
    PAUSED = "paused"  # the backlog is over max_backlog, or the store cannot write: intake waits
    RECONNECTING = "reconnecting"
    STANDBY = "standby"  # another daemon holds this single-reader trigger's source lease
    FAILED = "failed"  # cannot be built, or its source said SourceFailed; not retried
    ENDED = "ended"  # the source said EndOfInput
    DISABLED = "disabled"
    STOPPED = "stopped"


@dataclass(slots=True)
class TriggerStatus:
    type: str
    functions: list[str]
    state: TriggerState = TriggerState.STARTING
    last_error: str | None = None
    events_in: int = 0
    events_filtered: int = 0
    last_event_at: float | None = None
    restarts: int = 0
    lag: float | None = field(default=None)
    lag_unit: str | None = None
    lag_detail: dict[str, float] | None = None
    gaps: int = 0
    detail: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """As shown (API, CLI): a client library's error may quote the URL it was given."""
        return {
            "type": self.type,
            "functions": list(self.functions),
            "state": str(self.state),
            "last_error": None if self.last_error is None else redact_text(self.last_error),
            "events_in": self.events_in,
            "events_filtered": self.events_filtered,
            "last_event_at": to_rfc3339(self.last_event_at),
            "lag": self.lag,
            "lag_unit": self.lag_unit,
            "lag_detail": self.lag_detail,
            "restarts": self.restarts,
            "gaps": self.gaps,
            "detail": redact_json(self.detail),
        }
