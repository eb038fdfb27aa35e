"""Query-string parameters of the invocation list."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hub.api.errors import ApiError
from hub.api.text import is_text
from hub.status import Status
from hub.store.base import ListQuery
from hub.timefmt import parse_rfc3339

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Invocation ids (hub.ids): 26 Crockford base32 characters, which also makes them cursors.
# Matched whole (fullmatch): Python's `$` also matches before a final newline, ECMAScript's, as
# JSON Schema tools read the document's pattern, does not.
ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
_ID = re.compile(ID_PATTERN)
STATUSES = [str(s) for s in Status]


def is_invocation_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


PARAMETERS = ("function", "status", "limit", "cursor", "created_after", "created_before")


def parse_list_query(params: Mapping[str, str]) -> ListQuery:
    # A misspelt filter would otherwise silently list everything.
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ApiError(
            400,
            f"unknown query parameter {unknown[0]!r}; known: {', '.join(PARAMETERS)}",
            valid=list(PARAMETERS),
        )
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of: {', '.join(STATUSES)}", valid=STATUSES)
    cursor = params.get("cursor")
    if cursor is not None and not is_invocation_id(cursor):
        raise ApiError(400, "cursor must be a next_cursor value from a previous page")
    function = params.get("function")
    if function is not None and not is_text(function):
        raise ApiError(400, "function must be UTF-8 text")
    return ListQuery(
        function=function,
        status=None if status is None else Status(status),
        created_after=_time(params, "created_after"),
        created_before=_time(params, "created_before"),
        limit=_limit(params.get("limit")),
        cursor=cursor,
    )


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    # The length check comes first: int() refuses very long digit strings outright.
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_LIMIT):
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def _time(params: Mapping[str, str], name: str) -> float | None:
    text = params.get(name)
    if text is None:
        return None
    try:
        return parse_rfc3339(text)
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, f"{name} must be an RFC 3339 timestamp with an offset: {exc}") from None
