"""Invocation statuses and the conditions that end them (the destination record's vocabulary)."""

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    STOPPED = "stopped"

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.EXPIRED, Status.STOPPED})
ACTIVE = frozenset({Status.QUEUED, Status.RUNNING, Status.RETRYING})
REDRIVABLE = frozenset({Status.FAILED, Status.EXPIRED, Status.STOPPED})


class Condition(StrEnum):
    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"
    NON_RETRYABLE = "NonRetryableError"
    STOPPED = "Stopped"
    # Flow control (hub/flow): stopped by a cancel_on event or a singleton in cancel mode, or
    # never run because a singleton key was held.
    CANCELLED = "Cancelled"
    SKIPPED = "Skipped"


CONDITION_STATUS = {
    Condition.SUCCESS: Status.SUCCEEDED,
    Condition.RETRIES_EXHAUSTED: Status.FAILED,
    Condition.NON_RETRYABLE: Status.FAILED,
    Condition.EVENT_AGE_EXCEEDED: Status.EXPIRED,
    Condition.STOPPED: Status.STOPPED,
    Condition.CANCELLED: Status.STOPPED,
    Condition.SKIPPED: Status.STOPPED,
}

CONDITIONS_OF: dict[Status, tuple[Condition, ...]] = {
    status: tuple(c for c, s in CONDITION_STATUS.items() if s is status)
    for status in set(CONDITION_STATUS.values())
}
"""The conditions a final status may have (a stopped one: Stopped, Cancelled or Skipped)."""
