"""Times are stored as float epoch seconds (portable across SQLite and PostgreSQL, µs precise)
and shown as RFC 3339 in UTC."""

from datetime import UTC, datetime


def to_rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_rfc3339(text: str) -> float:
    """Parse an RFC 3339 timestamp; a missing offset is an error, not local time."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset (add Z or +HH:MM)")
    return value.timestamp()
