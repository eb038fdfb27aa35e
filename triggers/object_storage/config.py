"""The `type: object_storage` trigger's options, checked when the triggers file loads (no
connection is made). With `queue_url` the hub pulls notifications from an SQS queue; without it
the trigger is webhook-only and receives them on `POST /v1/hooks/object-storage/<name>`."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from hub.config.durations import Duration
from hub.config.patterns import HTTP_URL_PATTERN
from hub.config.spellings import Respelled, moved
from hub.config.triggers import TriggerConfig
from hub.plugins.options import AwsOptions

EVENT_PATTERN = re.compile(r"^(s3:)?(\*|[A-Za-z][A-Za-z0-9]*(:[A-Za-z0-9*]+)*(:\*)?)$")
SQS_ONLY = (
    "region",
    "endpoint_url",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "wait_time_seconds",
    "read_size",
    "visibility_timeout",
)
EventPattern = Annotated[
    str,
    Field(
        min_length=1,
        description="An S3 event name or pattern: `s3:ObjectCreated:*`, "
        "`ObjectRemoved:Delete`, `*`; the `s3:` prefix is optional.",
    ),
]


class ObjectStorageConfig(TriggerConfig, AwsOptions):
    """S3-compatible bucket notifications (AWS S3, MinIO, Huawei OBS, …): one invocation per
    object record, pulled from an SQS queue or pushed to the hub's webhook route."""

    type: Literal["object_storage"]
    queue_url: str | None = Field(
        None,
        pattern=HTTP_URL_PATTERN,
        description="The SQS queue the bucket notifies (directly or through an SNS topic). "
        "Without it the trigger is webhook-only: POST /v1/hooks/object-storage/<trigger>.",
    )
    wait_time_seconds: int = Field(
        20,
        ge=0,
        le=20,
        description="Long-poll wait of one receive; 0 polls (and waits 1s after an empty one).",
    )
    read_size: int = Field(
        10, ge=1, le=10, description="Most messages one receive returns (SQS returns 10 at most)."
    )
    visibility_timeout: Duration = Field(
        60.0,
        ge=1,
        le=43200,
        description="How long received messages stay hidden from other consumers; extended "
        "every half of it while their batch is being queued, so a crashed daemon's messages "
        "come back after at most this long. Whole seconds (rounded up).",
    )
    events: list[EventPattern] | None = Field(
        None,
        min_length=1,
        description="Only records whose event name matches one of these patterns.",
    )
    prefix: str | None = Field(
        None, min_length=1, description="Only objects whose (URL-decoded) key starts with this."
    )
    suffix: str | None = Field(
        None, min_length=1, description="Only objects whose (URL-decoded) key ends with this."
    )
    bucket: str | None = Field(None, min_length=1, description="Only records of this bucket.")

    @classmethod
    def respell(cls, data: dict[str, Any]) -> list[Respelled]:
        return moved(data, "max_messages", "read_size", "messages per receive")

    @field_validator("events")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            if not EVENT_PATTERN.match(pattern):
                raise ValueError(
                    f"{pattern!r} is not an S3 event pattern; write e.g. s3:ObjectCreated:*, "
                    "s3:ObjectRemoved:Delete or *"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ObjectStorageConfig:
        if self.queue_url is None:
            stray = [name for name in SQS_ONLY if name in self.model_fields_set]
            if stray:
                verb = "applies" if len(stray) == 1 else "apply"
                raise ValueError(
                    f"{', '.join(stray)} {verb} only with queue_url (SQS); a trigger without "
                    "queue_url receives notifications on its webhook"
                )
        return self

    def visibility_seconds(self) -> int:
        return math.ceil(self.visibility_timeout)
