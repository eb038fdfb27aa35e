"""Times are stored as float epoch seconds (portable across SQLite and PostgreSQL, µs precise)
and shown as RFC 3339 in UTC."""

import math
import time
from datetime import UTC, datetime

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
    """Parse an RFC 3339 timestamp; a missing offset is an error, not local time."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset (add Z or +HH:MM)")
    return value.timestamp()
