"""Turn a finished invocation into its destination record and the routing the store commits
with its final status.

The record has the shape of Lambda's and FunctionGraph's async destinations. The event and the
response go in as the JSON they are stored as (orjson fragments): written into the record
without being parsed and written again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from hub import clock
from hub.config.destinations import DestinationConfig, FunctionDestination
from hub.config.functions import FunctionConfig, max_event_age_of
from hub.events import Event
from hub.ids import new_id
from hub.invocation import Invocation, NewInvocation
from hub.status import Condition
from hub.store.base import Delivery, Routing
from hub.telemetry.context import TRACEPARENT, current_traceparent
from hub.timefmt import to_rfc3339

DESTINATION_SOURCE = "triggerhub/destination"


def build_record(
    inv: Invocation,
    condition: Condition,
    *,
    error: str | None = None,
    response: bytes | None = None,
    status_code: int | None = None,
    exit_code: int | None = None,
) -> dict[str, Any]:
    response_context: dict[str, Any] = {}
    if status_code is not None:
        response_context["status_code"] = status_code
    if exit_code is not None:
        response_context["exit_code"] = exit_code
    if error is not None:
        response_context["function_error"] = error
    record = {
        "version": "1.0",
        "timestamp": to_rfc3339(clock.now()),
        "request_context": {
            "request_id": inv.id,
            "function": inv.function,
            "condition": str(condition),
            "approximate_invoke_count": inv.invoke_count,
        },
        "request_payload": orjson.Fragment(inv.event_json),
        "response_context": response_context,
        "response_payload": None if response is None else orjson.Fragment(response),
    }
    traceparent = current_traceparent.get()
    if traceparent is not None:  # the attempt's, so the delivery joins its trace
        record[TRACEPARENT] = traceparent
    return record


def routing_of(
    inv: Invocation,
    function: FunctionConfig | None,
    condition: Condition,
    record: dict[str, Any],
    config_of: Callable[[str], FunctionConfig | None],
    now: float,
) -> Routing:
    routing = Routing()
    if function is None:
        return routing
    slot = "on_success" if condition is Condition.SUCCESS else "on_failure"
    destination: DestinationConfig | None = getattr(function, slot)
    if destination is None:
        return routing
    if isinstance(destination, FunctionDestination):
        routing.follow_ups.append(_follow_up(inv, destination, slot, record, config_of, now))
    else:
        routing.deliveries.append(
            Delivery(
                id=new_id(now),
                invocation_id=inv.id,
                slot=slot,
                destination=destination.model_dump_json().encode(),
                record=orjson.dumps(record),
            )
        )
    return routing


def _follow_up(
    inv: Invocation,
    destination: FunctionDestination,
    slot: str,
    record: dict[str, Any],
    config_of: Callable[[str], FunctionConfig | None],
    now: float,
) -> NewInvocation:
    target = config_of(destination.function)
    max_age = max_event_age_of(target)
    event = Event(
        type=f"triggerhub.destination.{'success' if slot == 'on_success' else 'failure'}",
        source=f"{DESTINATION_SOURCE}/{inv.function}",
        subject=inv.id,
        data=record,
        datacontenttype="application/json",
        idempotency_key=f"{inv.id}:{slot}",
    )
    traceparent = current_traceparent.get()
    if traceparent is not None:  # the follow-up's attempts join the trace of this one
        event.extensions[TRACEPARENT] = traceparent
    return NewInvocation(
        id=new_id(now),
        function=destination.function,
        event=event,
        not_before=now,
        deadline=now + max_age,
        idempotency_key=event.idempotency_key,
    )
