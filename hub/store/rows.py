"""Mapping between table rows and Invocation records."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import orjson

from hub.invocation import Invocation, Transition
from hub.status import Status

COLUMNS = (
    "id, function, status, event, attempts, invoke_count, created_at, not_before, deadline, "
    "idempotency_key, started_at, finished_at, last_error, response, condition, "
    "destination_error, lease_owner, ordering_key, priority"
)

# A new invocation's row as the submit's INSERT binds it, by position (invocations.py), and
# where a lease at submit finds what it reads and marks in it (submit_lease.py).
NEW_ROW = (
    "id",
    "function",
    "event",
    "now",
    "not_before",
    "deadline",
    "key",
    "run_at",
    "owner",
    "history",
    "ordering_key",
)
NEW_EVENT = NEW_ROW.index("event")
NEW_RUN_AT = NEW_ROW.index("run_at")
NEW_OWNER = NEW_ROW.index("owner")

# A dict lookup: an Enum call costs more than the rest of reading a row.
_STATUS = {str(s): s for s in Status}


def to_invocation(row: Any) -> Invocation:
    # Positional, in Invocation's field order (checked below): keywords cost twice as much,
    # and every leased row is read here.
    response = row[13]
    return Invocation(
        row[0],
        row[1],
        _STATUS[row[2]],
        bytes(row[3]),
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        None if response is None else orjson.loads(bytes(response)),
        row[14],
        row[15],
        [],
        row[16],
        row[17],
        row[18],
    )


_ORDER = [
    "id",
    "function",
    "status",
    "event_json",
    "attempts",
    "invoke_count",
    "created_at",
    "not_before",
    "deadline",
    "idempotency_key",
    "started_at",
    "finished_at",
    "last_error",
    "response",
    "condition",
    "destination_error",
    "history",
    "lease_owner",
    "ordering_key",
    "priority",
]
if [f.name for f in fields(Invocation)][: len(_ORDER)] != _ORDER:
    raise ImportError("Invocation's fields moved: hub/store/rows.py reads rows by position")


def to_transitions(history: Any) -> list[Transition]:
    return [Transition(status=s, at=at, detail=d) for s, at, d in orjson.loads(history)]
