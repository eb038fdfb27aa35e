"""`POST /v1/hooks/audit/{trigger}`: the Kubernetes API server's audit webhook backend.

Answers 200 only once every entry of the EventList is durably queued (or filtered out), 503
when the trigger could not queue them in time (the API server retries; duplicates are dropped
by the idempotency key `k8s:<auditID>:<stage>`), 404 when no kubernetes audit trigger of that
name runs, 400 when the body is not an EventList or holds an entry the hub could never store
(nested too deep, say), so the API server does not retry what can never succeed."""

from __future__ import annotations

import asyncio

import orjson
import structlog
from aiohttp import web

from hub.api.body import read_limited
from hub.api.errors import ApiError
from hub.api.ingest import admit
from hub.api.jsonbody import json_response
from hub.api.state import context
from triggers.audit.kubernetes.inbox import InboxClosed, Request, find_inbox
from triggers.audit.kubernetes.parse import EventListError, audit_event, entries

log = structlog.get_logger("triggers.audit")
ROUTE = "/v1/hooks/audit/{trigger}"
ANSWER_WITHIN = 25.0  # under the API server's webhook timeout, so a 503 reaches it
routes = web.RouteTableDef()


@routes.post(ROUTE)
async def audit_webhook(request: web.Request) -> web.Response:
    trigger = request.match_info["trigger"]
    inbox = find_inbox(trigger)
    if inbox is None:
        raise ApiError(404, f"no kubernetes audit trigger named {trigger!r} is running")
    body = await read_limited(request, context(request).settings.max_body_bytes)
    try:
        items = entries(orjson.loads(body))
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    except EventListError as exc:
        raise ApiError(400, str(exc)) from None
    events = [audit_event(item, trigger) for item in items]
    # Refused here with the reason: a 503 would have the API server retry it forever.
    admit(events, "not a valid audit EventList: ")
    queued = Request(events)
    try:
        inbox.queue.put_nowait(queued)
    except asyncio.QueueFull:
        raise _unavailable(trigger, "too many audit requests waiting") from None
    try:
        async with asyncio.timeout(ANSWER_WITHIN):
            accepted = await asyncio.shield(queued.done)
    except TimeoutError:
        queued.fail("timed out")  # if still queued, the trigger skips it when it gets there
        raise _unavailable(trigger, "the audit events were not queued in time") from None
    except InboxClosed as exc:
        raise _unavailable(trigger, f"the audit events were not queued: {exc}") from None
    log.info("audit events accepted", trigger=trigger, entries=len(items), accepted=accepted)
    return json_response({"entries": len(items), "accepted": accepted})


def _unavailable(trigger: str, message: str) -> ApiError:
    log.warning("audit webhook refused", trigger=trigger, reason=message)
    return ApiError(503, message, headers={"Retry-After": "1"})
