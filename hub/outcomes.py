"""One structured log line per invocation outcome: each retry scheduled, and each final status
(succeeded, failed, expired, stopped), plus one when a failure reaches its `on_failure`
destination (dead-lettered). Fed by `Hooks`, like the metrics.

Success lines are the volume at load, so they have their own level and a sampling rate; every
other outcome is always written (retries and stops at info, failures and expiries as
warnings)."""

from __future__ import annotations

import random
from collections.abc import Callable

import structlog

from hub import clock
from hub.config.document import OutcomeLogSettings
from hub.hooks import Hooks
from hub.invocation import Invocation
from hub.status import CONDITION_STATUS, Condition, Status
from hub.timefmt import to_rfc3339

log = structlog.get_logger("hub.outcomes")


# Ends someone asked for (a stop, a cancel_on event, a singleton): not a warning.
_ASKED_FOR = frozenset({Condition.STOPPED, Condition.CANCELLED, Condition.SKIPPED})


class OutcomeLog:
    def __init__(
        self, settings: OutcomeLogSettings, draw: Callable[[], float] = random.random
    ) -> None:
        self.settings = settings  # replaced on reload
        self._draw = draw

    def attach(self, hooks: Hooks) -> None:
        hooks.on_retrying.append(self._retrying)
        hooks.on_ended.append(self._ended)
        hooks.on_dead_lettered.append(self._dead_lettered)

    def _retrying(self, inv: Invocation, error: str, next_at: float, duration_s: float) -> None:
        log.info(
            "invocation retrying",
            outcome="retrying",
            function=inv.function,
            invocation=inv.id,
            attempt=inv.attempts,
            duration_s=_seconds(duration_s),
            error=error,
            retry_at=to_rfc3339(next_at),
            retry_in_s=_seconds(max(0.0, next_at - clock.now())),
        )

    def _ended(
        self, inv: Invocation, condition: Condition, error: str | None, duration_s: float | None
    ) -> None:
        if condition is Condition.SUCCESS:
            settings = self.settings
            if settings.success == "off" or (
                settings.success_sample < 1.0 and self._draw() >= settings.success_sample
            ):
                return
            write = log.info if settings.success == "info" else log.debug
        else:
            write = log.info if condition in _ASKED_FOR else log.warning
        status = CONDITION_STATUS[condition]
        write(
            f"invocation {status}",
            outcome=str(status),
            function=inv.function,
            invocation=inv.id,
            attempt=inv.attempts,
            condition=str(condition),
            duration_s=_seconds(duration_s),
            age_s=_seconds(clock.now() - inv.created_at),
            **({} if status is Status.SUCCEEDED else {"error": error}),
        )

    def _dead_lettered(
        self, invocation_id: str, function: str, condition: str, destination: str
    ) -> None:
        log.info(
            "invocation dead-lettered",
            outcome="dead-lettered",
            function=function,
            invocation=invocation_id,
            condition=condition,
            destination=destination,
        )


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
