"""The invocation list's filters, read from the page's query string, and one page of it.

Function, status and time range go to the store's listing (hub/store/reads.py: indexed,
cursor-paginated by id). A source filter (the CloudEvent `source` as the trigger wrote it, the
bulk actions' `trigger`) has no index: the page scans at most SCAN_LIMIT rows for matches
and, when it stops early, offers a cursor to go on from where it stopped, so no request
costs more than that however rare the match."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from hub.api.listing import STATUSES, is_invocation_id
from hub.engine import Hub
from hub.invocation import Invocation
from hub.status import Status
from hub.store.base import ListQuery
from hub.store.insight import by_idempotency_key, window_by_source
from hub.timefmt import parse_rfc3339

PAGE_SIZE = 50
SCAN_LIMIT = 5000
FIELDS = ("function", "status", "source", "created_after", "created_before", "q")


@dataclass(slots=True, frozen=True)
class Filters:
    function: str = ""
    status: str = ""
    source: str = ""
    created_after: str = ""
    created_before: str = ""
    q: str = ""  # an invocation id or an idempotency key
    cursor: str = ""
    errors: list[str] = field(default_factory=list)

    def query_string(self, **changes: str) -> str:
        values = {name: getattr(self, name) for name in (*FIELDS, "cursor")} | changes
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def api_filter(self) -> dict[str, Any]:
        """The same filter in the body of POST /v1/invocations/stop|redrive."""
        out: dict[str, Any] = {}
        for name in ("function", "status", "created_after", "created_before"):
            if value := getattr(self, name):
                out[name] = value
        if self.source:
            out["trigger"] = self.source
        return out


def parse_filters(params: Mapping[str, str]) -> Filters:
    values = {name: params.get(name, "").strip() for name in (*FIELDS, "cursor")}
    errors: list[str] = []
    if values["status"] and values["status"] not in STATUSES:
        errors.append(f"status must be one of: {', '.join(STATUSES)}")
        values["status"] = ""
    for name in ("created_after", "created_before"):
        if values[name]:
            try:
                parse_rfc3339(values[name])
            except (ValueError, OverflowError):
                errors.append(f"{name} must be a time like 2026-01-31T12:00:00Z")
                values[name] = ""
    if values["cursor"] and not is_invocation_id(values["cursor"]):
        errors.append("that page link is not valid any more; showing the first page")
        values["cursor"] = ""
    return Filters(**values, errors=errors)


@dataclass(slots=True)
class ListPage:
    items: list[Invocation]
    next_cursor: str | None
    scanned_out: bool = False  # a source filter stopped at SCAN_LIMIT rows


async def list_page(hub: Hub, filters: Filters, size: int = PAGE_SIZE) -> ListPage:
    if filters.q:
        return await _search(hub, filters)
    query = ListQuery(
        function=filters.function or None,
        status=Status(filters.status) if filters.status else None,
        created_after=parse_rfc3339(filters.created_after) if filters.created_after else None,
        created_before=parse_rfc3339(filters.created_before) if filters.created_before else None,
        limit=size,
        cursor=filters.cursor or None,
    )
    if not filters.source:
        page = await hub.query(query)
        return ListPage(page.items, page.next_cursor)
    return await _scan_for_source(hub, query, filters.source, size)


async def _scan_for_source(hub: Hub, query: ListQuery, source: str, size: int) -> ListPage:
    found = await window_by_source(hub.store, query, source, SCAN_LIMIT)
    if len(found.items) == size:
        return ListPage(found.items, found.items[-1].id)
    if found.exhausted:
        return ListPage(found.items, None)
    return ListPage(found.items, found.lowest, scanned_out=True)


async def _search(hub: Hub, filters: Filters) -> ListPage:
    ids = [filters.q] if is_invocation_id(filters.q) else []
    functions = [filters.function] if filters.function else sorted(hub.functions)
    ids += await by_idempotency_key(hub.store, filters.q, functions)
    found = []
    for inv_id in dict.fromkeys(ids):
        inv = await hub.store.get(inv_id)
        if inv is not None:
            found.append(inv)
    return ListPage(found, None)


def event_summary(inv: Invocation) -> dict[str, Any]:
    try:
        event = orjson.loads(inv.event_json)
    except orjson.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}
