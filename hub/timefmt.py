"""Times are stored as float epoch seconds (portable across SQLite and PostgreSQL, µs precise)
and shown as RFC 3339 in UTC."""

import math
import re
import time
from datetime import UTC, datetime, timedelta, timezone

# RFC 3339's date-time (section 5.6), exactly what JSON Schema's `date-time` format is, which
# the OpenAPI document states for every time the API takes: no ISO 8601 extras that
# datetime.fromisoformat() also reads (a space or any other separator, basic format, a missing
# offset or seconds, a comma), and ASCII digits only (Python's \d is any Unicode digit).
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
# datetime has no year 0, which RFC 3339 has: it is read 400 years (one Gregorian cycle, the
# same weekdays and leap years) later and moved back.
_CYCLE_YEARS = 400
_CYCLE_SECONDS = 146097 * 86400
_LAST_MINUTE_OF_DAY = 23 * 60 + 59

# The last second formatted and its text up to the seconds: invocations and events made in the
# same second share it, and only the microseconds are written for each. One tuple, replaced
# whole, so a thread never reads one second's number with another's text.
_last: tuple[int, str] = (-1, "")


def to_rfc3339(ts: float | None) -> str | None:
    global _last  # noqa: PLW0603 - a one-entry cache, on the hot path
    if ts is None:
        return None
    # Split as datetime.fromtimestamp does (microseconds rounded half to even), so the text is
    # the same as its isoformat's.
    fraction, whole = math.modf(ts)
    micros = round(fraction * 1e6)
    second = int(whole)
    if micros >= 1_000_000:
        second, micros = second + 1, micros - 1_000_000
    elif micros < 0:
        second, micros = second - 1, micros + 1_000_000
    cached_second, prefix = _last
    if second != cached_second:
        if not 0 <= second < 253402300800:  # years 1970-9999: what strftime below covers
            return _isoformat(ts)
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last = (second, prefix)
    return f"{prefix}.{micros:06d}Z"


def _isoformat(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_rfc3339(text: str) -> float:
    """Epoch seconds of an RFC 3339 date-time (an offset is required, never local time); a
    leap second (:60, in the last minute of a UTC day) is the instant after :59. ValueError
    for anything else."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(
            f"timestamp {text!r} is not RFC 3339: write it like 2024-05-01T12:00:00Z or "
            "2024-05-01T14:00:00.5+02:00"
        )
    year, month, day, hour, minute, second = (int(match[n]) for n in range(1, 7))
    offset = 0
    if match[8] is not None:
        offset_hours, offset_minutes = int(match[9]), int(match[10])
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError(f"timestamp {text!r} has an offset out of range")
        offset = (offset_hours * 60 + offset_minutes) * (-1 if match[8] == "-" else 1)
    leap = second == 60
    if leap and (hour * 60 + minute - offset) % 1440 != _LAST_MINUTE_OF_DAY:
        raise ValueError(f"timestamp {text!r}: a leap second is only the last of a UTC day")
    shift = _CYCLE_YEARS if year == 0 else 0
    zone = timezone(timedelta(minutes=offset))
    try:
        at = datetime(year + shift, month, day, hour, minute, 59 if leap else second, tzinfo=zone)
    except ValueError as exc:
        raise ValueError(f"timestamp {text!r}: {exc}") from None
    fraction = float(f"0{match[7]}") if match[7] else 0.0
    return at.timestamp() - (_CYCLE_SECONDS if shift else 0) + leap + fraction


def rfc3339_or_none(value: object) -> str | None:
    """`value` when it is an RFC 3339 date-time, else None: what a trigger puts in an event's
    `time` from a field of its source (the event's data keeps the field as sent), since the
    OpenAPI document states an event's time as a date-time."""
    if not isinstance(value, str):
        return None
    try:
        parse_rfc3339(value)
    except ValueError:
        return None
    return value
