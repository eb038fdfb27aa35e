"""`POST /v1/hooks/object-storage/<trigger>`: MinIO webhook targets, OBS (through an SMN HTTP
subscription) or anything else that posts S3-shaped notification JSON. The body is parsed like
an SQS message; a body that is not a notification is answered 400 with the reason, so the
sender sees it (and keeps or logs the event) instead of it being lost silently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from hub.events import Event
from triggers.object_storage.config import ObjectStorageConfig
from triggers.object_storage.filters import RecordFilter
from triggers.object_storage.parse import parse

KIND = "object-storage"
log = structlog.get_logger("triggers.object_storage")


def parse_webhook(
    body: bytes, _headers: Mapping[str, str], config: Any, trigger: str
) -> Sequence[Event]:
    if not isinstance(config, ObjectStorageConfig):  # the route checked the type already
        raise TypeError(f"trigger {trigger!r} is not an object_storage trigger")
    parsed = parse(body, RecordFilter.of(config))
    if parsed.skipped is not None:
        log.info("object-storage control message skipped", trigger=trigger, why=parsed.skipped)
    elif parsed.filtered:
        log.debug("object records filtered out", trigger=trigger, filtered=parsed.filtered)
    return parsed.events
