"""A batch of CloudEvents in one request (`application/cloudevents-batch+json`, the CloudEvents
JSON batch format: an array of structured events), queued in one durable commit.

A batch is queued whole or not at all: every entry is checked on its own, and if any is
invalid the answer is 400 naming each invalid entry by its place and id, with nothing queued,
so the sender can fix those and send the batch again. Every entry keeps its own id, idempotency
key and answer item, in the request's order. Event ids are not deduplicated (as for single
events): an idempotency key held already, by an earlier invocation or an earlier entry of the
same batch, answers that entry `duplicate` with the holder's id."""

from __future__ import annotations

from typing import Any

import orjson
from multidict import CIMultiDictProxy

from hub.api.errors import ApiError
from hub.api.ingest import IDEMPOTENCY_HEADER, ce_attributes, structured_event
from hub.batchsize import MAX_BATCH_EVENTS
from hub.eventcheck import InvalidEvent, check_event
from hub.events import WireEvent
from hub.store.base import Submitted

__all__ = ["MAX_BATCH_EVENTS", "parse_batch", "receipt"]


def parse_batch(headers: CIMultiDictProxy[str], body: bytes) -> list[WireEvent]:
    """The batch's events in order, or ApiError: 400 for a malformed request or any invalid
    entry (each named), 413 for too many events."""
    if IDEMPOTENCY_HEADER in headers:
        raise ApiError(
            400,
            f"the {IDEMPOTENCY_HEADER} header does not apply to a batch: give each event its "
            "own idempotencykey attribute",
        )
    # Its events' attributes come from the body alone, but a malformed header is still a 400.
    ce_attributes(headers)
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the CloudEvents batch is not valid JSON: {exc}") from None
    if not isinstance(raw, list):
        raise ApiError(400, "a CloudEvents batch is a JSON array of structured CloudEvents")
    if not raw:
        raise ApiError(400, "the CloudEvents batch is empty")
    if len(raw) > MAX_BATCH_EVENTS:
        raise ApiError(
            413,
            f"the batch has {len(raw)} events, more than the limit of {MAX_BATCH_EVENTS}",
            limit=MAX_BATCH_EVENTS,
        )
    wires: list[WireEvent] = []
    invalid: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        try:
            wires.append(check_event(structured_event(item)))
        except (ApiError, InvalidEvent) as exc:
            reason = exc.message if isinstance(exc, ApiError) else f"invalid CloudEvent: {exc}"
            invalid.append({"index": index, "event_id": _id_of(item), "error": reason})
    if invalid:
        first = invalid[0]
        raise ApiError(
            400,
            f"{len(invalid)} of {len(raw)} events of the batch are invalid, nothing was queued; "
            f"the first, at index {first['index']}: {first['error']}",
            invalid=invalid,
        )
    return wires


def _id_of(item: Any) -> str | None:
    event_id = item.get("id") if isinstance(item, dict) else None
    return event_id if isinstance(event_id, str) else None


def receipt(wires: list[WireEvent], submitted: list[Submitted]) -> dict[str, Any]:
    """The 202 answer: per event, in the request's order, its invocation."""
    items = [
        {"id": s.id, "status": "queued" if s.created else "duplicate", "event_id": w.event.id}
        for w, s in zip(wires, submitted, strict=True)
    ]
    queued = sum(1 for s in submitted if s.created)
    return {"queued": queued, "duplicates": len(submitted) - queued, "items": items}
