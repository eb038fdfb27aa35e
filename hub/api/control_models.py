"""The JSON bodies of the control operations (bulk stop and redrive, pause and resume), as
models for the OpenAPI document, like models.py."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from hub.api.models import Absent, InvocationId, Timestamp
from hub.api.text import NO_NUL_PATTERN

_Name = Annotated[str, Field(min_length=1, pattern=NO_NUL_PATTERN)]
_SELECTING = ("function", "status", "created_after", "created_before", "trigger", "ids")
_STOPPABLE = ["queued", "running", "retrying"]
_REDRIVABLE = ["expired", "failed", "stopped"]


def _statuses(names: list[str]) -> Any:
    """A status of `names`, or a non-empty list of them."""
    return (
        Annotated[str, WithJsonSchema({"type": "string", "enum": names})]
        | Annotated[
            list[str],
            WithJsonSchema(
                {"type": "array", "items": {"type": "string", "enum": names}, "minItems": 1}
            ),
        ]
        | Absent
    )


class _BulkFilter(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "Which invocations to act on: every given field must match, and at "
            "least one of the selecting fields (all but dry_run) must be given.",
            "anyOf": [{"required": [name]} for name in _SELECTING],
        },
    )

    function: _Name | Absent = None
    created_after: Timestamp | Absent = None
    created_before: Timestamp | Absent = None
    trigger: _Name | Absent = Field(
        None,
        description="The event's CloudEvents source attribute, as its trigger wrote it "
        "(triggerhub/timer/<name>, kafka://<topic>, file://<path>, ...).",
    )
    ids: Annotated[list[InvocationId], Field(min_length=1, max_length=1000)] | Absent = Field(
        None, description="Only these invocations."
    )
    dry_run: bool = Field(False, description="Only count what matches; change nothing.")


class StopFilter(_BulkFilter):
    status: _statuses(_STOPPABLE) = Field(  # type: ignore[valid-type]
        None, description="A status or a list of them; by default all three."
    )


class RedriveFilter(_BulkFilter):
    status: _statuses(_REDRIVABLE) = Field(  # type: ignore[valid-type]
        None, description="A status or a list of them; by default all three."
    )


class BulkResult(BaseModel):
    matched: int = Field(ge=0, description="Invocations the filter selected.")
    changed: int = Field(ge=0, description="Those stopped or redriven (0 for a dry run).")


class PauseState(BaseModel):
    name: str
    paused: bool
    paused_at: Timestamp | None
    state: str | Absent | None = Field(None, description="A trigger's state now.")


CONTROL_SCHEMAS: list[type[BaseModel]] = [StopFilter, RedriveFilter, BulkResult, PauseState]
