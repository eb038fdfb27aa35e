"""The `schedule` option: which of the three kinds a string is (cron, rate, one time), parsed
into a spec. An invalid one fails at config load with the expression and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from triggers.timer.cron import SHORTHANDS, CronSpec, parse_cron
from triggers.timer.rate import parse_every, parse_rate

_AT = re.compile(r"^at\((.*)\)$", re.IGNORECASE | re.DOTALL)
_KINDS = (
    "write a cron expression ('*/5 * * * *'), a rate ('rate(5 minutes)', '@every 30s') or "
    "one time ('at(2026-12-01T10:00:00+08:00)')"
)


@dataclass(frozen=True, slots=True)
class RateSpec:
    every_ms: int


@dataclass(frozen=True, slots=True)
class AtSpec:
    when: datetime  # naive means: in the trigger's time zone


ScheduleSpec = CronSpec | RateSpec | AtSpec


def parse_schedule(text: str) -> ScheduleSpec:
    try:
        return _parse(text.strip())
    except ValueError as exc:
        raise ValueError(f"invalid schedule {text!r}: {exc}") from None


def _parse(text: str) -> ScheduleSpec:
    lowered = text.lower()
    if not text:
        raise ValueError(f"it is empty; {_KINDS}")
    if lowered.startswith("rate("):
        return RateSpec(parse_rate(text))
    if lowered.startswith("@every"):
        return RateSpec(parse_every(text[len("@every") :]))
    if lowered.startswith("at("):
        return AtSpec(_parse_at(text))
    if lowered.startswith("cron("):
        # AWS's cron(...) has a year as its 6th field where ours has seconds first: refuse
        # rather than guess which one is meant.
        raise ValueError("write the cron fields without cron(...); " + _KINDS)
    if lowered.startswith("@") and lowered not in SHORTHANDS:
        raise ValueError(f"unknown shorthand; use {', '.join(SHORTHANDS)} or @every <duration>")
    return parse_cron(text)


def _parse_at(text: str) -> datetime:
    match = _AT.match(text)
    inner = match.group(1).strip() if match else ""
    try:
        return datetime.fromisoformat(inner)
    except ValueError:
        raise ValueError(
            f"{inner!r} is not a date and time; write e.g. at(2026-12-01T10:00:00+08:00)"
        ) from None
