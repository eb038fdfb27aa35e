"""The trigger's own record filter: event-name patterns, key prefix and suffix, bucket.

It runs on records before they become events, because one notification can hold several
records and only some may be wanted; the hub's generic `filter` still applies to the events."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from triggers.object_storage.config import ObjectStorageConfig
from triggers.object_storage.records import ObjectRecord, strip_s3


@dataclass(frozen=True, slots=True)
class RecordFilter:
    events: tuple[str, ...] = ()  # patterns without the `s3:` prefix; empty: every event
    prefix: str = ""
    suffix: str = ""
    bucket: str | None = None

    @classmethod
    def of(cls, config: ObjectStorageConfig) -> RecordFilter:
        return cls(
            events=tuple(strip_s3(p) for p in config.events or ()),
            prefix=config.prefix or "",
            suffix=config.suffix or "",
            bucket=config.bucket,
        )

    def __call__(self, record: ObjectRecord) -> bool:
        return (
            (self.bucket is None or record.bucket == self.bucket)
            and record.key.startswith(self.prefix)
            and record.key.endswith(self.suffix)
            and self._event_matches(record.event_name)
        )

    def _event_matches(self, name: str) -> bool:
        # fnmatch's `[` classes cannot occur: the config only admits letters, digits, `:`, `*`.
        return not self.events or any(fnmatchcase(name, pattern) for pattern in self.events)
