"""The destination record, in the shape of Lambda's and FunctionGraph's async destinations.

The event and the response go in as the JSON they are stored as (orjson fragments): written
into the record without being parsed and written again."""

from __future__ import annotations

from typing import Any

import orjson

from hub import clock
from hub.invocation import Invocation
from hub.status import Condition
from hub.telemetry.context import TRACEPARENT, current_traceparent
from hub.timefmt import to_rfc3339


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
