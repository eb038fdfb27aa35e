"""Mapping between table rows and Invocation records."""

from __future__ import annotations

from typing import Any

import orjson

from hub.invocation import Invocation, Transition
from hub.status import Status

COLUMNS = (
    "id, function, status, event, attempts, invoke_count, created_at, not_before, deadline, "
    "idempotency_key, started_at, finished_at, last_error, response, condition, "
    "destination_error, lease_owner, ordering_key, priority"
)


# A dict lookup: an Enum call costs more than the rest of reading a row.
_STATUS = {str(s): s for s in Status}


def to_invocation(row: Any) -> Invocation:
    response = row[13]
    return Invocation(
        id=row[0],
        function=row[1],
        status=_STATUS[row[2]],
        event_json=bytes(row[3]),
        attempts=row[4],
        invoke_count=row[5],
        created_at=row[6],
        not_before=row[7],
        deadline=row[8],
        idempotency_key=row[9],
        started_at=row[10],
        finished_at=row[11],
        last_error=row[12],
        response=None if response is None else orjson.loads(bytes(response)),
        condition=row[14],
        destination_error=row[15],
        lease_owner=row[16],
        ordering_key=row[17],
        priority=row[18],
    )


def to_transitions(history: Any) -> list[Transition]:
    return [Transition(status=s, at=at, detail=d) for s, at, d in orjson.loads(history)]
