"""Ticks are whole epoch milliseconds (ints): exact to add, compare and use in keys, with no
float rounding to accumulate over thousands of ticks. These convert at the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def to_ms(value: datetime) -> int:
    """An aware datetime as epoch ms, rounded to the nearest millisecond; the subtraction
    goes through the value's own UTC offset, so a non-existent local time maps to the
    instant its fold selects."""
    micros = (value - EPOCH) // timedelta(microseconds=1)
    return (micros + 500) // 1000


def seconds_to_ms(seconds: float) -> int:
    return round(seconds * 1000)


@lru_cache(maxsize=4096)
def rfc3339_ms(ms: int) -> str:
    # Cached: the timers of one instant share their scheduled and their fire time.
    text = to_datetime(ms).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone, or a ValueError that says what to write instead."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC"
        ) from None
