"""The destination record, in the shape of Lambda's and FunctionGraph's async destinations."""

from __future__ import annotations

from typing import Any

import orjson

from hub import clock
from hub.invocation import Invocation
from hub.status import Condition
from hub.timefmt import to_rfc3339


def build_record(
    inv: Invocation,
    condition: Condition,
    *,
    error: str | None = None,
    response: Any = None,
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
    return {
        "version": "1.0",
        "timestamp": to_rfc3339(clock.now()),
        "request_context": {
            "request_id": inv.id,
            "function": inv.function,
            "condition": str(condition),
            "approximate_invoke_count": inv.invoke_count,
        },
        "request_payload": orjson.loads(inv.event_json),
        "response_context": response_context,
        "response_payload": response,
    }
