"""The hub's invocation statuses under each cloud's names, both ways."""

from __future__ import annotations

from collections.abc import Mapping

from hub.status import Status

FC = {
    Status.QUEUED: "Enqueued",
    Status.RUNNING: "Running",
    Status.RETRYING: "Retrying",
    Status.SUCCEEDED: "Succeeded",
    Status.FAILED: "Failed",
    Status.EXPIRED: "Expired",
    Status.STOPPED: "Stopped",
}
# FC's names with no hub counterpart: a filter on them lists nothing, as no hub record has one.
FC_ONLY = ("Dequeued", "Stopping", "Invalid", "Suspended")

FUNCTIONGRAPH = {
    Status.QUEUED: "WAIT",
    Status.RUNNING: "RUNNING",
    Status.RETRYING: "WAIT",
    Status.SUCCEEDED: "SUCCESS",
    Status.FAILED: "FAIL",
    Status.EXPIRED: "DISCARD",
    Status.STOPPED: "DISCARD",
}


def hub_statuses(names: Mapping[Status, str], name: str) -> list[Status]:
    """The hub statuses a cloud's status name stands for (several for FunctionGraph's WAIT)."""
    return [status for status, cloud in names.items() if cloud == name]


def history_name(names: Mapping[Status, str], status: str) -> str:
    """A history entry's status under the cloud's name (entries use the hub's names)."""
    try:
        return names[Status(status)]
    except ValueError:
        return status.capitalize()
