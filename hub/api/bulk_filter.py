"""The JSON filter of a bulk stop or redrive, checked field by field: a mistake names its
field, and an unknown field is refused (a misspelt filter must not select everything)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson

from hub.api.errors import ApiError
from hub.api.listing import is_invocation_id
from hub.api.text import is_text
from hub.status import Status
from hub.store.bulk import Selection
from hub.timefmt import parse_rfc3339

FIELDS = ("function", "status", "created_after", "created_before", "trigger", "ids", "dry_run")
SELECTING = ("function", "status", "created_after", "created_before", "trigger", "ids")
MAX_IDS = 1000


@dataclass(slots=True, frozen=True)
class BulkRequest:
    selection: Selection
    dry_run: bool


def parse_bulk_filter(body: bytes, action: str, allowed: Collection[Status]) -> BulkRequest:
    """`allowed`: the statuses `action` applies to (the default when no status is given)."""
    try:
        raw = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the filter is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ApiError(400, "the filter must be a JSON object", valid=list(FIELDS))
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ApiError(
            400,
            f"unknown filter field {unknown[0]!r}; known: {', '.join(FIELDS)}",
            valid=list(FIELDS),
        )
    nulls = sorted(name for name, value in raw.items() if value is None)
    if nulls:
        raise ApiError(400, f"{nulls[0]} must not be null; leave it out to not filter on it")
    if not any(name in raw for name in SELECTING):
        raise ApiError(
            400,
            f"give at least one of {', '.join(SELECTING)}: an empty filter would select "
            f"every invocation to be {action}",
        )
    after = _time(raw, "created_after")
    before = _time(raw, "created_before")
    dry_run = raw.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ApiError(400, "dry_run must be true or false")
    return BulkRequest(
        Selection(
            statuses=_statuses(raw.get("status"), action, allowed),
            function=_text(raw, "function"),
            created_after=after,
            created_before=before,
            source=_text(raw, "trigger"),
            ids=_ids(raw.get("ids")),
        ),
        dry_run,
    )


def _statuses(value: Any, action: str, allowed: Collection[Status]) -> frozenset[Status]:
    if value is None:
        return frozenset(allowed)
    given = [value] if isinstance(value, str) else value
    names = sorted(str(s) for s in allowed)
    if not isinstance(given, list) or not given or not all(isinstance(s, str) for s in given):
        raise ApiError(400, "status must be a status or a non-empty list of them", valid=names)
    wrong = [s for s in given if s not in names]
    if wrong:
        raise ApiError(
            400,
            f"status {wrong[0]!r}: only {', '.join(names)} invocations can be {action}",
            valid=names,
        )
    return frozenset(Status(s) for s in given)


def _text(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or not is_text(value) or "\x00" in value:
        raise ApiError(400, f"{name} must be a non-empty string")
    return value


def _time(raw: dict[str, Any], name: str) -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be an RFC 3339 timestamp with an offset")
    try:
        return parse_rfc3339(value)
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, f"{name} must be an RFC 3339 timestamp with an offset: {exc}") from None


def _ids(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_IDS:
        raise ApiError(400, f"ids must be a list of 1 to {MAX_IDS} invocation ids")
    for item in value:
        if not isinstance(item, str) or not is_invocation_id(item):
            raise ApiError(400, f"ids: {str(item)[:40]!r} is not an invocation id")
    return tuple(dict.fromkeys(value))
