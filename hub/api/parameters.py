"""The API's path, query and header parameters as models: each field is one parameter of the
OpenAPI document (its alias is the parameter's name, its description the parameter's)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, WithJsonSchema

from hub.api.ingest import CE_VALUE_PATTERN, HEADER_KEY_PATTERN, IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from hub.api.listing import DEFAULT_LIMIT, MAX_LIMIT, STATUSES
from hub.api.models import Absent, InvocationId, Timestamp
from hub.api.priority import PRIORITY_HEADER, PRIORITY_PATTERN
from hub.api.schedule import DELAY_HEADER, DELAY_PATTERN, NOT_BEFORE_HEADER
from hub.api.text import NO_NUL_PATTERN

# ASCII, percent-encoding (valid UTF-8) for the rest, as the CloudEvents HTTP binding says.
CeString = Annotated[str, Field(pattern=CE_VALUE_PATTERN)]
HeaderKey = Annotated[str, Field(pattern=HEADER_KEY_PATTERN, max_length=MAX_KEY_LENGTH)]
_NOT_BOTH = f"Send either {DELAY_HEADER} or {NOT_BEFORE_HEADER}: both is a 400."


class FunctionPath(BaseModel):
    name: str


class TriggerPath(BaseModel):
    name: str


class InvocationPath(BaseModel):
    id: InvocationId


class WebhookPath(BaseModel):
    kind: str
    trigger: str


class InvokeHeaders(BaseModel):
    delay: Annotated[str, Field(pattern=DELAY_PATTERN)] | Absent = Field(
        None,
        alias=DELAY_HEADER,
        description="Start no sooner than this many seconds from now: a plain decimal number "
        f"from 0 to 604800 (7 days), like 30 or 0.25. {_NOT_BOTH}",
    )
    not_before: Timestamp | Absent = Field(
        None,
        alias=NOT_BEFORE_HEADER,
        description="Start no sooner than this time (RFC 3339, at most 7 days ahead). " + _NOT_BOTH,
    )
    priority: Annotated[str, Field(pattern=PRIORITY_PATTERN)] | Absent = Field(
        None,
        alias=PRIORITY_HEADER,
        description="This invocation's priority, 0 (lowest) to 9: overrides the function's "
        "and the trigger's; higher priority due work is leased first.",
    )
    idempotency_key: HeaderKey | Absent = Field(
        None,
        alias=IDEMPOTENCY_HEADER,
        description="A second request with the same key for the same function (within the "
        "dedup window) creates nothing and answers 409 with the first invocation's id. "
        "Printable ASCII (a structured CloudEvent's idempotencykey takes any text). Not "
        "with a batch, whose events carry their own idempotencykey (400).",
    )
    ce_id: CeString | Absent = Field(
        None, alias="ce-id", description="Binary-mode CloudEvent id (generated when absent)."
    )
    ce_source: CeString | Absent = Field(
        None, alias="ce-source", description="Binary-mode CloudEvent source."
    )
    ce_type: CeString | Absent = Field(
        None, alias="ce-type", description="Binary-mode CloudEvent type."
    )
    ce_specversion: Annotated[str, WithJsonSchema({"type": "string", "enum": ["1.0"]})] | Absent = (
        Field(None, alias="ce-specversion", description="CloudEvents version.")
    )
    ce_subject: CeString | Absent = Field(
        None, alias="ce-subject", description="Binary-mode CloudEvent subject."
    )
    ce_time: Timestamp | Absent = Field(
        None, alias="ce-time", description="Binary-mode CloudEvent time."
    )


class ListQuery(BaseModel):
    function: Annotated[str, Field(pattern=NO_NUL_PATTERN)] | Absent = Field(
        None, description="Text without NUL: no function is named so."
    )
    status: Annotated[str, WithJsonSchema({"type": "string", "enum": STATUSES})] | Absent = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: InvocationId | Absent = Field(None, description="`next_cursor` of the previous page.")
    created_after: Timestamp | Absent = None
    created_before: Timestamp | Absent = None
