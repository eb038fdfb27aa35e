"""`type: audit`: security audit events, from one of three places picked by `source`:

- `auditd`: Linux audit log files (tailed like `log_stream`, records grouped into events);
- `kubernetes`: the API server's audit webhook posting to `/v1/hooks/audit/<trigger>`;
- `cloudtrail`: "AWS API Call via CloudTrail" events routed by EventBridge to an SQS queue.

One flat model: options of another source are refused, so a misplaced key is an error at load
time rather than silently ignored."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from hub.config.durations import Duration
from hub.config.triggers import TriggerConfig
from hub.plugins.options import AwsOptions

Source = Literal["auditd", "kubernetes", "cloudtrail"]
DEFAULT_AUDIT_LOG = "/var/log/audit/audit.log"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int) and not isinstance(value, bool) else value


Text = Annotated[str, Field(min_length=1)]
Texts = Annotated[list[Text], Field(min_length=1)]
TextList = Annotated[Texts | None, BeforeValidator(_as_list, json_schema_input_type=Texts | Text)]


def _syscall_text(value: Any) -> Any:
    values = _as_list(value)
    return (
        [str(v) if isinstance(v, int) else v for v in values]
        if isinstance(values, list)
        else values
    )


SyscallList = Annotated[
    Texts | None,
    BeforeValidator(_syscall_text, json_schema_input_type=list[Text | int] | Text | int),
]

# Which options belong to which source; `None` values are "not given".
_OWNED: dict[str, tuple[Source, ...]] = {
    "paths": ("auditd",),
    "from_": ("auditd",),
    "keys": ("auditd",),
    "record_types": ("auditd",),
    "syscalls": ("auditd",),
    "poll_interval": ("auditd",),
    "rotate_wait": ("auditd",),
    "verbs": ("kubernetes",),
    "resources": ("kubernetes",),
    "namespaces": ("kubernetes",),
    "stages": ("kubernetes",),
    "users": ("kubernetes", "cloudtrail"),
    "queue_url": ("cloudtrail",),
    "region": ("cloudtrail",),
    "endpoint_url": ("cloudtrail",),
    "access_key_id": ("cloudtrail",),
    "secret_access_key": ("cloudtrail",),
    "session_token": ("cloudtrail",),
    "event_sources": ("cloudtrail",),
    "event_names": ("cloudtrail",),
    "read_only": ("cloudtrail",),
    "wait_time": ("cloudtrail",),
    "visibility_timeout": ("cloudtrail",),
}


class AuditConfig(TriggerConfig, AwsOptions):
    """Audit events from auditd log files, the Kubernetes audit webhook or CloudTrail via
    EventBridge and SQS; one invocation per audit event."""

    type: Literal["audit"]
    source: Source = Field(description="Where the audit events come from.")

    def single_reader(self) -> bool:
        return self.source == "auditd"  # the others are a webhook and an SQS queue

    # auditd
    paths: TextList = Field(
        None, description=f"auditd: audit log files (globs allowed); default {DEFAULT_AUDIT_LOG}."
    )
    from_: Literal["start", "end"] | None = Field(
        None, alias="from", description="auditd: where to begin on the very first start (end)."
    )
    keys: TextList = Field(None, description="auditd: only events with one of these rule keys.")
    record_types: TextList = Field(
        None, description="auditd: only events with a record of one of these types (SYSCALL...)."
    )
    syscalls: SyscallList = Field(
        None, description="auditd: only events of these syscalls, by name (execve) or number."
    )
    poll_interval: Duration | None = Field(None, gt=0, description="auditd: default 250ms.")
    rotate_wait: Duration | None = Field(None, ge=0, description="auditd: default 5s.")

    # kubernetes
    verbs: TextList = Field(None, description="kubernetes: e.g. create, delete, patch.")
    resources: TextList = Field(
        None, description="kubernetes: e.g. secrets, or pods/exec for a subresource."
    )
    namespaces: TextList = Field(None, description="kubernetes: object namespaces.")
    stages: TextList = Field(None, description="kubernetes: e.g. ResponseComplete.")
    users: TextList = Field(
        None,
        description="kubernetes: user names; cloudtrail: the identity's ARN, user name or "
        "principal id.",
    )

    # cloudtrail
    queue_url: str | None = Field(None, description="cloudtrail: the SQS queue EventBridge feeds.")
    # cloudtrail also takes the AWS options: region, endpoint_url and credentials.
    event_sources: TextList = Field(None, description="cloudtrail: e.g. s3.amazonaws.com.")
    event_names: TextList = Field(None, description="cloudtrail: e.g. DeleteBucket.")
    read_only: bool | None = Field(
        None, description="cloudtrail: only read-only (true) or only mutating (false) calls."
    )
    wait_time: Duration | None = Field(
        None, ge=0, le=20, description="cloudtrail: SQS long-poll wait, default 20s."
    )
    visibility_timeout: Duration | None = Field(
        None, ge=0, le=43200, description="cloudtrail: how long received messages stay hidden."
    )

    @model_validator(mode="after")
    def _options_of_the_source(self) -> AuditConfig:
        misplaced = [
            self._written(name)
            for name, owners in _OWNED.items()
            if getattr(self, name) is not None and self.source not in owners
        ]
        if misplaced:
            raise ValueError(f"not an option of source {self.source}: {', '.join(misplaced)}")
        if self.source == "cloudtrail" and not self.queue_url:
            raise ValueError("source cloudtrail needs queue_url")
        return self

    def _written(self, name: str) -> str:
        return type(self).model_fields[name].alias or name

    @property
    def audit_paths(self) -> list[str]:
        return self.paths or [DEFAULT_AUDIT_LOG]
