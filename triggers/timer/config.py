"""The timer trigger's options, validated when the triggers file is loaded: a bad schedule or
time zone fails there, with the expression and what is wrong, before anything starts."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field, JsonValue, field_validator, model_validator

from hub.config.durations import Duration
from hub.config.triggers import TriggerConfig
from triggers.timer.cron import CronSpec
from triggers.timer.expressions import ScheduleSpec, parse_schedule
from triggers.timer.times import zone

Misfire = Literal["skip", "fire_once", "fire_all"]


class TimerConfig(TriggerConfig):
    """Invokes its function(s) on a schedule: cron, a fixed rate, or one time."""

    def single_reader(self) -> bool:
        return True

    type: Literal["timer"]
    schedule: str = Field(
        description="Cron ('*/5 * * * *', 6 fields with seconds first, optional "
        "'CRON_TZ=Area/City ' prefix, @daily...), a rate ('rate(5 minutes)', '@every 30s') "
        "or one time ('at(2026-12-01T10:00:00+08:00)')."
    )
    timezone: str | None = Field(
        None,
        description="IANA time zone of the cron fields and of an at() time without an offset "
        "(default UTC).",
    )
    start: AwareDatetime | None = Field(
        None, description="No tick before this time (RFC 3339); rates count from it."
    )
    end: AwareDatetime | None = Field(
        None, description="No tick after this time (RFC 3339); the trigger then ends."
    )
    data: JsonValue = Field(None, description="Any JSON; the function gets it as data.data.")
    misfire: Misfire = Field(
        "skip",
        description="Ticks missed by more than misfire_grace (downtime, backlog): skip them, "
        "fire_once for the latest (data.missed = how many), or fire_all (up to misfire_max).",
    )
    misfire_grace: Duration = Field(
        10.0,
        ge=1,
        description="A tick late by less than this fires normally, whatever the policy "
        "(at least 1s, so wake-up and commit latency never count as a miss).",
    )
    misfire_max: int = Field(
        100, ge=1, le=10_000, description="fire_all: at most this many missed ticks, newest."
    )

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TimerConfig:
        spec = self.spec()
        prefixed = spec.timezone if isinstance(spec, CronSpec) else None
        if prefixed and self.timezone and prefixed != self.timezone:
            raise ValueError(
                f"the schedule says CRON_TZ={prefixed} but timezone is {self.timezone!r}; "
                "give the time zone once"
            )
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must be after start")
        return self

    def spec(self) -> ScheduleSpec:
        return parse_schedule(self.schedule)

    def time_zone(self) -> ZoneInfo:
        spec = self.spec()
        prefixed = spec.timezone if isinstance(spec, CronSpec) else None
        return zone(prefixed or self.timezone or "UTC")
