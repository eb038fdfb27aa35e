"""The JSON bodies the API takes and answers, as models: the OpenAPI document's schemas are
generated from them (hub/api/openapi.py), so what it states cannot drift from what is here.

The handlers build their answers as plain dicts (the hot path); tests/api checks the served
answers against these schemas. `Absent` marks an attribute that may be left out but is never
null."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from hub.api.batch import MAX_BATCH_EVENTS
from hub.api.ingest import KEY_PATTERN, MAX_KEY_LENGTH
from hub.api.listing import ID_PATTERN, STATUSES
from hub.eventcheck import MAX_DATA_DEPTH
from hub.events import BASE64_PATTERN, EXTENSION_NAME_PATTERN

Absent = SkipJsonSchema[None]
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
InvocationId = Annotated[str, Field(pattern=ID_PATTERN)]
NonEmpty = Annotated[str, Field(min_length=1)]
Base64 = Annotated[
    str, WithJsonSchema({"type": "string", "format": "byte", "pattern": BASE64_PATTERN})
]
# What a sender may write as a key: text without NUL or surrounding whitespace.
SentKey = Annotated[str, Field(pattern=KEY_PATTERN, max_length=MAX_KEY_LENGTH)]
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
    invalid: list[InvalidBatchEntry] | Absent = Field(
        None, description="Each invalid event of a batch (400); nothing of it was queued."
    )


class Accepted(BaseModel):
    id: InvocationId
    status: Literal["queued"]


class BatchItem(BaseModel):
    id: InvocationId = Field(description="The event's invocation.")
    status: Literal["queued", "duplicate"] = Field(
        description="duplicate: the event's idempotency key was held already, by an earlier "
        "invocation or an earlier event of the batch; `id` is the holder."
    )
    event_id: str = Field(description="The event's CloudEvent id.")


class BatchReceipt(BaseModel):
    """One item per event of the batch, in the request's order."""

    queued: int = Field(ge=0)
    duplicates: int = Field(ge=0)
    items: list[BatchItem]


class InvalidBatchEntry(BaseModel):
    index: int = Field(ge=0, description="The entry's place in the batch, from 0.")
    event_id: str | None
    error: str


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
    # Not bounded as a sent key is: a trigger makes its keys from its source (a Kubernetes
    # auditID, a Kafka message key) at any length.
    idempotencykey: NonEmpty | Absent = None
    orderingkey: NonEmpty | Absent = None


def _extensions(schema: JsonDict) -> None:
    """Extension attributes: names of the extension pattern that are no attribute of the
    spec's. patternProperties applies beside properties, so without the exclusion `data`
    (four lowercase letters) would have to be an extension's value too."""
    named = "|".join(sorted(str(name) for name in schema["properties"]))  # type: ignore[union-attr]
    pattern = f"^(?!(?:{named})$){EXTENSION_NAME_PATTERN.removeprefix('^')}"
    schema["patternProperties"] = {pattern: _EXTENSION_VALUE}
    schema["description"] = (
        "A structured CloudEvent 1.0; extension attributes are 1-20 lowercase letters or "
        "digits, valued a string, an integer (signed 32-bit) or a boolean. Not both data and "
        f"data_base64; data nests at most {MAX_DATA_DEPTH} levels of objects and arrays."
    )
    schema["not"] = {"required": ["data", "data_base64"]}


class CloudEventIn(BaseModel):
    # What a sender may write; null is an absent attribute (the CloudEvents JSON format).
    model_config = ConfigDict(extra="forbid", json_schema_extra=_extensions)

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


class CloudEventBatchIn(RootModel[list[CloudEventIn]]):
    """A CloudEvents JSON batch: queued whole, in one commit, or not at all."""

    root: Annotated[list[CloudEventIn], Field(min_length=1, max_length=MAX_BATCH_EVENTS)]


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
    priority: int | None = Field(
        ge=0,
        le=9,
        description="Its priority when under flow control (0-9), otherwise null.",
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
    status: FunctionStatus


class FunctionStatus(BaseModel):
    """What this daemon counted since it started."""

    throttled: int = Field(
        ge=0, description="Attempts a rate_limit held back (started later than due)."
    )


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
    BatchItem,
    BatchReceipt,
    InvalidBatchEntry,
    CloudEventIn,
    CloudEventBatchIn,
    CloudEvent,
    Transition,
    Invocation,
    InvocationPage,
    FunctionList,
    Status,
    WebhookReceipt,
]
