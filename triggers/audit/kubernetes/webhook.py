"""`POST /v1/hooks/audit/{trigger}`: the Kubernetes API server's audit webhook backend, served
by the hub's webhook route (hub/api/routes_webhooks.py) for the kubernetes audit trigger named.

Answers 200 only once every entry of the EventList is durably queued (or filtered out), 503
when the trigger could not queue them in time (the API server retries; duplicates are dropped
by the idempotency key `k8s:<auditID>:<stage>`), 404 when no kubernetes audit trigger of that
name runs, 400 when the body is not an EventList or holds an entry the hub could never store
(nested too deep, say), so the API server does not retry what can never succeed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from hub.events import Event
from hub.plugins.webhooks import BodyRefused, Pushed
from triggers.audit.kubernetes.parse import EventListError, audit_event, entries

KIND = "audit"
ROUTE = "/v1/hooks/audit/{trigger}"


def parse_event_list(
    body: bytes, _headers: Mapping[str, str], _config: Any, trigger: str
) -> list[Event]:
    """One event per entry of the EventList; its options are tested by the trigger's source."""
    try:
        items = entries(orjson.loads(body))
    except orjson.JSONDecodeError as exc:
        raise BodyRefused(f"the body is not valid JSON: {exc}") from None
    except EventListError as exc:
        raise BodyRefused(str(exc)) from None
    return [audit_event(item, trigger) for item in items]


def answer(pushed: Pushed) -> dict[str, Any]:
    return {"entries": pushed.received, "accepted": pushed.read}
