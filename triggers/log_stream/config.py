"""`type: log_stream`: lines of local files (`paths`) or of a CloudWatch Logs group
(`cloudwatch`), matched, batched and invoked."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, JsonValue, field_validator, model_validator

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.config.spellings import Respelled, batch_respelled, moved
from hub.config.triggers import TriggerConfig
from hub.plugins.options import AwsOptions, Batching


class Match(Strict):
    """Which lines become events; every given test must hold. A plain string is `contains`."""

    contains: str | None = Field(None, min_length=1, description="The line contains this text.")
    regex: str | None = Field(None, description="The line matches this regular expression.")
    fields: dict[str, JsonValue] | None = Field(
        None,
        min_length=1,
        description="jsonl only: each `field` (or `a.b` path) of the parsed line equals the value.",
    )

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _some_test(self) -> Match:
        if self.contains is None and self.regex is None and self.fields is None:
            raise ValueError("give at least one of contains, regex or fields")
        return self


def _contains_shorthand(value: Any) -> Any:
    return {"contains": value} if isinstance(value, str) else value


MatchOption = Annotated[
    Match, BeforeValidator(_contains_shorthand, json_schema_input_type=Match | str)
]


class CloudWatchLogs(AwsOptions):
    log_group: str = Field(min_length=1, max_length=512, description="The log group to read.")
    stream_prefix: str | None = Field(
        None, min_length=1, description="Only log streams whose name starts with this."
    )
    filter_pattern: str | None = Field(
        None, description="A CloudWatch Logs filter pattern, applied by the service."
    )
    interval: Duration = Field(5.0, gt=0, description="Wait between polls once caught up.")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


PathList = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class LogStreamConfig(TriggerConfig):
    """Lines appended to local files (rotation and truncation safe) or to a CloudWatch Logs
    group; the position is committed with the invocations, so a restart resumes exactly."""

    type: Literal["log_stream"]

    def single_reader(self) -> bool:
        return True

    paths: Annotated[
        PathList | None, BeforeValidator(_as_list, json_schema_input_type=PathList | str | None)
    ] = Field(None, description="Files to tail; globs (`*`, `**`) are re-scanned for new files.")
    cloudwatch: CloudWatchLogs | None = Field(
        None, description="Read a CloudWatch Logs group instead of local files."
    )
    from_: Literal["start", "end"] = Field(
        "end",
        alias="from",
        description="Where to begin in a file (or log group) on the trigger's very first start; "
        "files that appear later are always read from their start.",
    )
    format: Literal["text", "jsonl"] = Field(
        "text", description="`jsonl`: each line is parsed as JSON (invalid lines are flagged)."
    )
    match: MatchOption | None = Field(None, description="Only matching lines are invoked.")
    batch: Batching | None = Field(
        None,
        description="Lines in one invocation, up to `size`, of one file (or log stream): data "
        "is the list of lines. Default: one invocation per line.",
    )
    poll_interval: Duration = Field(0.25, gt=0, le=3600, description="How often files are checked.")
    rotate_wait: Duration = Field(
        5.0, ge=0, description="How long a rotated-away file is still read for late writes."
    )
    max_payload_bytes: int = Field(
        1024 * 1024, ge=64, le=64 * 1024 * 1024, description="Longer lines are split (flagged)."
    )

    @classmethod
    def respell(cls, data: dict[str, Any]) -> list[Respelled]:
        return batch_respelled(data) + moved(data, "max_line_bytes", "max_payload_bytes")

    @property
    def batch_size(self) -> int:
        """Lines per invocation (1 without `batch`)."""
        return self.batch.size if self.batch is not None else 1

    @property
    def batch_window(self) -> float:
        return self.batch.window if self.batch is not None else 0.0

    @model_validator(mode="after")
    def _one_source(self) -> LogStreamConfig:
        if (self.paths is None) == (self.cloudwatch is None):
            raise ValueError("give exactly one of 'paths' (local files) or 'cloudwatch'")
        if self.match is not None and self.match.fields is not None and self.format != "jsonl":
            raise ValueError("match.fields needs format: jsonl")
        return self
