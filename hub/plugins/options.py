"""Config pieces that trigger kinds share, so an option means the same under every kind:

- `batch: {size, window}`: several events in one invocation (`batch_event`);
- `read_size` / `read_window` (kinds that read from a broker): how much one read takes;
- `max_payload_bytes`: the largest payload (record value, message body, line) taken as is;
- `AwsOptions`: where and as whom an AWS client connects."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import Field, SecretStr, model_validator

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.config.patterns import HTTP_URL_PATTERN
from hub.events import ORDERING_ATTR
from hub.flow.config import TriggerFlowOverrides

PayloadBytes = Annotated[int, Field(ge=1, le=256 * 1024 * 1024)]
"""The type of `max_payload_bytes`; each kind gives its default and says what happens past it."""


class Batching(Strict):
    """`batch:` of a trigger: its events go to the function as batch events of up to `size`
    events (data = the list of them, in order) instead of one invocation each."""

    size: int = Field(ge=1, le=10_000, description="Most events in one invocation.")
    window: Duration = Field(
        0.0,
        ge=0,
        le=3600,
        description="How long a partial batch waits for more events (e.g. 500ms); 0 sends what "
        "is there.",
    )


T = TypeVar("T", bound=TriggerFlowOverrides)


def batched_in_order(config: T, ordered: bool) -> T:
    """A trigger whose `ordering` runs its events in order, with `batching`: each batch holds
    the events of one ordering key (`batching.key` is the event's `orderingkey`), so a batch's
    events share the ordering key the batch runs under and the batches of a key run one at a
    time, in order. Another key would let one batch hold events of several ordering keys."""
    batching = config.batching
    if not ordered or batching is None or batching.key == ORDERING_ATTR:
        return config
    if batching.key is not None:
        raise ValueError(
            f"with `ordering`, leave `batching.key` out (it is `{ORDERING_ATTR}`: a batch holds "
            "the events of one ordering key, so that they run in order)"
        )
    return config.model_copy(
        update={"batching": batching.model_copy(update={"key": ORDERING_ATTR})}
    )


class AwsOptions(Strict):
    """Where and as whom an AWS client connects; every option defaults to boto3's own lookup."""

    region: str | None = Field(
        None,
        min_length=1,
        description="AWS region; default: boto3's lookup (AWS_REGION / AWS_DEFAULT_REGION, "
        "~/.aws/config); an SQS queue on AWS also names its region in its URL.",
    )
    endpoint_url: str | None = Field(
        None,
        pattern=HTTP_URL_PATTERN,
        description="Another endpoint (an AWS-compatible service, a local test server); "
        "default: boto3's (AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, else AWS).",
    )
    access_key_id: str | None = Field(
        None,
        min_length=1,
        description="With secret_access_key; default: boto3's credential chain (environment, "
        "~/.aws, instance or task role). Never logged.",
    )
    secret_access_key: SecretStr | None = Field(
        None, description="Never logged; write it as ${ENV_VAR} rather than in the file."
    )
    session_token: SecretStr | None = Field(
        None, description="For temporary (STS) credentials, with the two above."
    )

    @model_validator(mode="after")
    def _credentials_together(self) -> AwsOptions:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("give access_key_id and secret_access_key together, or neither")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("session_token needs access_key_id and secret_access_key")
        return self
