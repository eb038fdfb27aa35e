"""The JSON bodies the API takes and answers, as models: the OpenAPI document's schemas are
generated from them (hub/api/openapi.py), so what it states cannot drift from what is here.

The handlers build their answers as plain dicts (the hot path); tests/api checks the served
answers against these schemas. `Absent` marks an attribute that may be left out but is never
null."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from hub.api.ingest import MAX_KEY_LENGTH
from hub.api.listing import ID_PATTERN, STATUSES
from hub.eventcheck import MAX_DATA_DEPTH
from hub.events import EXTENSION_NAME_PATTERN

Absent = SkipJsonSchema[None]
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
InvocationId = Annotated[str, Field(pattern=ID_PATTERN)]
NonEmpty = Annotated[str, Field(min_length=1)]
Base64 = Annotated[str, WithJsonSchema({"type": "string", "format": "byte"})]
Key = Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]
# What a sender may write as a key: text without NUL or surrounding whitespace.
SentKey = Annotated[
    str, Field(pattern=r"^[^\s\u0000]([^\u0000]*[^\s\u0000])?$", max_length=MAX_KEY_LENGTH)
]
# The CloudEvents types in JSON: String (also Binary, URI, Timestamp), Integer, Boolean.
_EXTENSION_VALUE: JsonDict = {
    "anyOf": [
        {"type": "string", "nullable": True},
        {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1, "nullable": True},
        {"type": "boolean", "nullable": True},
    ]
}


class Error(BaseModel):
    error: str = Field(description="What is wrong.")
    id: str | Absent = Field(None, description="The existing invocation (409 duplicate).")
    valid: list[str] | Absent = None
    limit: int | Absent = None
    reason: str | Absent = Field(None, description="What the store could not do (507).")


class Accepted(BaseModel):
    id: InvocationId
    status: Literal["queued"]


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    specversion: str
    id: NonEmpty
    source: NonEmpty
    type: NonEmpty
    subject: str | Absent = None
    time: Timestamp | Absent = None
    datacontenttype: str | Absent = None
    dataschema: str | Absent = None
    data: Any = None
    data_base64: Base64 | Absent = None
    idempotencykey: Key | Absent = None
    orderingkey: Key | Absent = None


class CloudEventIn(BaseModel):
    # What a sender may write; null is an absent attribute (the CloudEvents JSON format).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "A structured CloudEvent 1.0; extension attributes are 1-20 "
            "lowercase letters or digits, valued a string, an integer (signed 32-bit) or a "
            "boolean. Not both data and data_base64; data nests at most "
            f"{MAX_DATA_DEPTH} levels of objects and arrays.",
            "patternProperties": {EXTENSION_NAME_PATTERN: _EXTENSION_VALUE},
            "not": {"required": ["data", "data_base64"]},
        },
    )

    specversion: Literal["1.0"] | Absent = None
    id: NonEmpty
    source: NonEmpty
    type: NonEmpty
    subject: str | None = None
    time: Timestamp | None = None
    datacontenttype: str | None = None
    dataschema: str | None = None
    data: Any = None
    data_base64: Base64 | Absent = None
    idempotencykey: SentKey | None = None
    orderingkey: SentKey | None = None


class Transition(BaseModel):
    status: str
    at: Timestamp
    detail: str | None


class Invocation(BaseModel):
    id: InvocationId
    function: str
    status: Annotated[str, WithJsonSchema({"type": "string", "enum": STATUSES})]
    idempotency_key: str | None
    ordering_key: str | None = Field(
        description="Invocations of a function with the same key run one at a time, in order."
    )
    attempts: int = Field(ge=0)
    approximate_invoke_count: int = Field(ge=0)
    created_at: Timestamp
    not_before: Timestamp
    deadline: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    condition: str | None = Field(
        description="Success, RetriesExhausted, EventAgeExceeded, NonRetryableError or "
        "Stopped once final."
    )
    last_error: str | None
    response: Any = Field(description="What the function returned (JSON), possibly cut.")
    destination_error: str | None
    event: CloudEvent
    history: list[Transition] = Field(description="Status transitions; empty in list results.")


class InvocationPage(BaseModel):
    items: list[Invocation]
    next_cursor: Annotated[str, Field(pattern=ID_PATTERN)] | None


class FunctionSettings(BaseModel):
    """The function's settings; header and environment values and URL passwords read ***."""

    model_config = ConfigDict(extra="allow")

    name: str
    target: dict[str, Any]
    paused: bool = Field(description="Paused: its invocations are kept and none is started.")
    paused_at: Timestamp | None


_Name = Annotated[str, Field(min_length=1, pattern="^[^\\u0000]*$")]
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


class FunctionList(BaseModel):
    items: list[FunctionSettings]


class Status(BaseModel):
    status: str


class WebhookReceipt(BaseModel):
    received: int
    filtered: int
    invocations: list[str]


SCHEMAS: list[type[BaseModel]] = [
    Error,
    Accepted,
    CloudEventIn,
    CloudEvent,
    Transition,
    Invocation,
    InvocationPage,
    FunctionList,
    StopFilter,
    RedriveFilter,
    BulkResult,
    PauseState,
    Status,
    WebhookReceipt,
]
