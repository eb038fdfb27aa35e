"""How Function Compute shows the hub's invocations: as async tasks, named by their task id,
with function ARNs and times in milliseconds."""

from __future__ import annotations

from typing import Any

import orjson

from hub.api.clouds.status_names import FC, history_name
from hub.invocation import Invocation

ACCOUNT = "0"
REGION = "local"


def arn(name: str) -> str:
    return f"acs:fc:{REGION}:{ACCOUNT}:functions/{name}"


def task_id_of(inv: Invocation) -> str:
    return inv.idempotency_key or inv.id


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def task_view(inv: Invocation, *, include_payload: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "taskId": task_id_of(inv),
        "requestId": inv.id,
        "functionArn": arn(inv.function),
        "qualifier": "LATEST",
        "status": FC[inv.status],
        "alreadyRetriedTimes": max(0, inv.attempts - 1),
        "startedTime": _ms(inv.started_at or inv.created_at),
        "endTime": _ms(inv.finished_at),
        "events": [
            {
                "eventId": n,
                "status": history_name(FC, t.status),
                "timestamp": _ms(t.at),
                "eventDetail": t.detail or "",
            }
            for n, t in enumerate(inv.history, 1)
        ],
    }
    if inv.started_at is not None and inv.finished_at is not None:
        view["durationMs"] = _ms(inv.finished_at - inv.started_at)
    if inv.response is not None:
        view["returnPayload"] = orjson.dumps(inv.response).decode()
    if inv.last_error is not None:
        view["taskErrorMessage"] = inv.last_error
    if include_payload:
        data = inv.event.data
        view["taskPayload"] = (
            data.decode(errors="replace")
            if isinstance(data, bytes)
            else ""
            if data is None
            else orjson.dumps(data).decode()
        )
    return {k: v for k, v in view.items() if v is not None}
