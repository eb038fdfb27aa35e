"""`POST /v1/hooks/{kind}/{trigger}`: events pushed by a sender (object-storage notifications,
Kubernetes audit webhooks) to the running trigger named in the path. The body is parsed by the
webhook kind, checked whole, and handed to the trigger's inbox; the trigger's intake filters
and durably queues it, and only then is the request answered (200). 503 when the trigger
could not queue it in time, is paused or is still starting (the sender retries; duplicates
are dropped by their idempotency keys), 404 when no such trigger is configured to run, 400
when the body can never be taken."""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from hub.api.body import read_limited
from hub.api.errors import ApiError
from hub.api.ingest import admit
from hub.api.jsonbody import json_response
from hub.api.state import ApiContext, context
from hub.intake.inbox import ANSWER_WITHIN, InboxClosed, PushRequest, find_inbox
from hub.intake.trigger_status import TriggerState
from hub.plugins.webhooks import BodyRefused, WebhookKind, webhook
from hub.telemetry.carriers import adopt_header_in

log = structlog.get_logger("hub.api")
routes = web.RouteTableDef()
# How soon a sender may try a paused trigger again: a pause is an operator's, lasting minutes.
PAUSED_RETRY_AFTER = "10"
# A configured trigger in these states takes pushes again soon; "paused" when not in the pause
# book is one being resumed right now.
_COMING = frozenset({TriggerState.STARTING, TriggerState.RECONNECTING, TriggerState.PAUSED})


@routes.post("/v1/hooks/{kind}/{trigger}")
async def receive(request: web.Request) -> web.Response:
    ctx = context(request)
    name, trigger = request.match_info["kind"], request.match_info["trigger"]
    kind = webhook(name)
    if kind is None:
        raise ApiError(404, f"no webhook kind {name!r}")
    inbox = find_inbox(name, trigger)
    if inbox is None or not isinstance(inbox.config, kind.config_model):
        raise _not_taking(ctx, kind, trigger)
    body = await read_limited(request, ctx.settings.max_body_bytes)
    try:
        events = list(kind.load_factory()(body, request.headers, inbox.config, trigger))
    except BodyRefused as exc:
        raise ApiError(400, str(exc)) from None
    except ValueError as exc:
        raise ApiError(400, f"not a valid {kind.body_name()}: {exc}") from None
    # Every event, kept by the filter or not: whether a body is taken must not depend on it.
    # Refused here with the reason: a 503 would have the sender retry it forever.
    admit(events, f"not a valid {kind.body_name()}: ")
    if ctx.hub.telemetry is not None:
        adopt_header_in(events, request.headers)
    pushed = PushRequest(events)
    try:
        inbox.queue.put_nowait(pushed)
    except asyncio.QueueFull:
        raise _unavailable(trigger, "too many requests waiting for the trigger") from None
    try:
        async with asyncio.timeout(ANSWER_WITHIN):
            outcome = await asyncio.shield(pushed.done)
    except TimeoutError:
        pushed.fail("timed out")  # if still queued, the trigger skips it when it gets there
        raise _unavailable(trigger, "the events were not queued in time") from None
    except InboxClosed as exc:
        raise _unavailable(trigger, f"the events were not queued: {exc}") from None
    log.info("webhook accepted", trigger=trigger, kind=name, events=len(events), kept=outcome.kept)
    return json_response(kind.answer(outcome))


def _not_taking(ctx: ApiContext, kind: WebhookKind, trigger: str) -> ApiError:
    """Why no trigger takes this push. One configured but paused or not started yet is asked
    again later (503): the sender keeps the events, where a 404 has many drop them."""
    config = None if ctx.trigger_config is None else ctx.trigger_config(trigger)
    if isinstance(config, kind.config_model) and config.enabled:
        if trigger in ctx.hub.pauses.view("trigger"):
            message = f"trigger {trigger!r} is paused: it takes no events until it is resumed"
            return _unavailable(trigger, message, PAUSED_RETRY_AFTER)
        status = {} if ctx.triggers_status is None else ctx.triggers_status().get(trigger, {})
        if status.get("state") in _COMING:
            return _unavailable(trigger, f"trigger {trigger!r} is starting")
    return ApiError(404, f"no {kind.triggers_name()} trigger named {trigger!r} is running")


def _unavailable(trigger: str, message: str, retry_after: str = "1") -> ApiError:
    log.warning("webhook refused", trigger=trigger, reason=message)
    return ApiError(503, message, headers={"Retry-After": retry_after})
