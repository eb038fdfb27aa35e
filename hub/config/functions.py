"""A function: a target to call plus its asynchronous-invocation settings."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainValidator, SerializeAsAny, field_validator

from hub.config.base import Strict
from hub.config.destinations import DestinationConfig
from hub.config.durations import Duration
from hub.config.kind_unions import by_registry
from hub.config.patterns import HTTP_URL_PATTERN

# Also what an invocation of a function no longer configured is given when redriven.
DEFAULT_MAX_EVENT_AGE = 6 * 3600.0


class PythonTarget(Strict):
    type: Literal["python"] = "python"
    handler: str = Field(
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="`package.module:callable`; async or sync (sync runs in a thread).",
    )


class HttpTarget(Strict):
    type: Literal["http"] = "http"
    url: str = Field(pattern=HTTP_URL_PATTERN)
    headers: dict[str, str] = Field(default_factory=dict)


class CommandTarget(Strict):
    type: Literal["command"] = "command"
    argv: list[str] = Field(min_length=1, description="Program and arguments; never a shell.")
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)


TargetConfig = Annotated[SerializeAsAny[BaseModel], PlainValidator(by_registry("target"))]
"""Any registered target's model, picked by `type` when validated (see hub/targets/kinds.py);
the triggers file's own model is the union of the registered ones."""


class Backoff(Strict):
    initial: Duration = Field(1.0, gt=0, description="Delay before the first retry.")
    multiplier: float = Field(2.0, ge=1)
    max: Duration = Field(300.0, gt=0, description="Cap on any one delay.")
    jitter: bool = Field(True, description="Full jitter: a random delay up to the computed one.")


class FunctionConfig(Strict):
    target: TargetConfig
    timeout: Duration = Field(30.0, gt=0, le=86400)
    concurrency: int = Field(16, ge=1, le=10_000)
    max_retry_attempts: int = Field(2, ge=0, le=8)
    retry_backoff: Backoff = Field(default_factory=Backoff)
    max_event_age: Duration = Field(DEFAULT_MAX_EVENT_AGE, ge=60, le=7 * 86400)
    response_limit: int = Field(
        64 * 1024, ge=0, description="Bytes of the response kept on the record."
    )
    on_success: DestinationConfig | None = None
    on_failure: DestinationConfig | None = None

    @field_validator("retry_backoff")
    @classmethod
    def _cap_not_below_initial(cls, value: Backoff) -> Backoff:
        if value.max < value.initial:
            raise ValueError("retry_backoff.max must not be smaller than retry_backoff.initial")
        return value


def max_event_age_of(config: FunctionConfig | None) -> float:
    """A function's max_event_age; the default for one that is not configured (any more)."""
    return config.max_event_age if config is not None else DEFAULT_MAX_EVENT_AGE
