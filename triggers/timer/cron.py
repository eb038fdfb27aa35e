"""Cron expressions as operators write them: 5 fields (minute hour day month weekday) or 6
(second first), an optional `CRON_TZ=Area/City ` prefix, and the @hourly/@daily/... shorthands.

They follow Unix cron, not APScheduler 3 where it differs: weekday 0 (and 7) is Sunday, where
APScheduler's 0 is Monday; and when both day-of-month and weekday are restricted, a day that
matches either one fires, where APScheduler requires both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC

from triggers.timer.times import zone
from triggers.timer.weekdays import weekdays

SHORTHANDS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_TZ_PREFIX = re.compile(r"^(?:CRON_)?TZ=(\S*)\s+(.*)$", re.DOTALL)
_LABELS = {
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day": "day-of-month",
    "month": "month",
}


@dataclass(frozen=True, slots=True)
class CronSpec:
    second: str
    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str  # APScheduler day names, or "*"
    timezone: str | None = None  # from a CRON_TZ= prefix
    either_day: bool = False  # day-of-month and weekday both restricted: either one matches

    @property
    def hour_named(self) -> bool:
        """Fixed hours fire at the first of a repeated wall-clock time (DST fall-back) only;
        `*` and `*/n` hours follow the real clock through it."""
        return not self.hour.startswith("*")

    def fields(self) -> dict[str, str]:
        return {
            "second": self.second,
            "minute": self.minute,
            "hour": self.hour,
            "day": self.day,
            "month": self.month,
            "day_of_week": self.day_of_week,
        }


def parse_cron(text: str) -> CronSpec:
    timezone = None
    prefixed = _TZ_PREFIX.match(text)
    if prefixed is not None:
        zone(prefixed.group(1))
        timezone, text = prefixed.group(1), prefixed.group(2).strip()
    text = SHORTHANDS.get(text.lower(), text)
    fields = text.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    elif len(fields) != 6:
        raise ValueError(
            f"a cron schedule has 5 fields (minute hour day month weekday) or 6 (second "
            f"minute hour day month weekday); this one has {len(fields)}"
        )
    second, minute, hour, day, month, weekday = fields
    spec = CronSpec(
        second=second,
        minute=minute,
        hour=hour,
        day=_day_of_month(day),
        month=month,
        day_of_week=weekdays(weekday),
        timezone=timezone,
        either_day=not day.startswith(("*", "?")) and not weekday.startswith(("*", "?")),
    )
    _check_fields(spec)
    return spec


def _day_of_month(field: str) -> str:
    if field == "?":
        return "*"
    if field.upper() == "L":
        return "last"
    if "W" in field.upper() or "#" in field:
        raise ValueError(
            f"day-of-month field {field!r}: the Quartz forms W and # are not supported"
        )
    return field


def _check_fields(spec: CronSpec) -> None:
    """Let APScheduler judge each field alone, so the message can name the field."""
    from apscheduler.triggers.cron import CronTrigger

    for name, label in _LABELS.items():
        value = getattr(spec, name)
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError as exc:
            reason = str(exc)
            raise ValueError(f"{label} field {value!r}: {reason[:1].lower()}{reason[1:]}") from None
