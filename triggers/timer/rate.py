"""Fixed-rate schedules: `rate(5 minutes)` as AWS and Alibaba write them, `@every 1m30s` as
robfig/cron and Go write them. Both become a whole number of milliseconds."""

from __future__ import annotations

import re
from fractions import Fraction

_RATE = re.compile(r"^rate\(\s*(\S+)\s+([a-z]+)\s*\)$", re.IGNORECASE)
_RATE_UNITS = {
    "millisecond": 1,
    "second": 1000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
}
_RATE_HELP = (
    "write rate(N unit) with a whole N and a unit of milliseconds, seconds, minutes, hours or days"
)
_EVERY_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_EVERY_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_EVERY_HELP = "write @every and a duration such as 30s, 1m30s, 500ms or 2h"


def parse_rate(text: str) -> int:
    match = _RATE.match(text)
    if match is None:
        raise ValueError(_RATE_HELP)
    count, unit = match.group(1), match.group(2).lower()
    if unit.endswith("s") and unit[:-1] in _RATE_UNITS:
        unit = unit[:-1]  # rate(1 minute), rate(5 minutes)
    if unit not in _RATE_UNITS:
        raise ValueError(f"unknown unit {match.group(2)!r}; {_RATE_HELP}")
    if not count.isdigit() or int(count) == 0:
        raise ValueError(f"the rate must be a whole number above 0, not {count!r}")
    return int(count) * _RATE_UNITS[unit]


def parse_every(duration: str) -> int:
    text = duration.strip()
    parts = _EVERY_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(_EVERY_HELP)
    total = sum(Fraction(number) * _EVERY_UNITS[unit] for number, unit in parts)
    if total.denominator != 1:
        raise ValueError(f"{text!r} is not a whole number of milliseconds")
    if total == 0:
        raise ValueError(f"{text!r} is zero; the interval must be at least 1ms")
    return int(total)
