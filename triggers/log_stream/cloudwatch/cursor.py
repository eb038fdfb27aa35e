"""Where a CloudWatch Logs trigger is: the newest event timestamp delivered, plus the ids of the
events delivered at exactly that timestamp. The next query starts at that timestamp
(inclusive) and skips those ids, so an event sharing the millisecond of the last one is
neither lost nor repeated, across polls and restarts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

VERSION = 1


@dataclass(frozen=True, slots=True)
class Cursor:
    timestamp: int  # milliseconds since the epoch, as CloudWatch Logs counts
    seen: frozenset[str] = frozenset()

    def is_new(self, event: Mapping[str, Any]) -> bool:
        return not (event["timestamp"] == self.timestamp and event["eventId"] in self.seen)

    def advance(self, events: Iterable[Mapping[str, Any]]) -> Cursor:
        timestamp, seen = self.timestamp, set(self.seen)
        for event in events:
            if event["timestamp"] > timestamp:
                timestamp, seen = event["timestamp"], set()
            if event["timestamp"] == timestamp:
                seen.add(event["eventId"])
        return Cursor(timestamp, frozenset(seen))

    def encode(self) -> str:
        return orjson.dumps(
            {"v": VERSION, "timestamp": self.timestamp, "seen": sorted(self.seen)}
        ).decode()

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = orjson.loads(text)
            if raw.get("v") != VERSION or not isinstance(raw["timestamp"], int):
                raise ValueError(f"not a CloudWatch cursor: {text[:100]!r}")
            return cls(raw["timestamp"], frozenset(str(i) for i in raw["seen"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed CloudWatch cursor: {exc!r}") from None
