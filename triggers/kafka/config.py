"""The `type: kafka` trigger's options, checked when the triggers file loads (no connection)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from hub.config.durations import Duration
from hub.config.spellings import Respelled, moved, trigger_batch_respelled
from hub.config.triggers import TriggerConfig
from hub.plugins.options import PayloadBytes, batched_in_order

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
Ordering = Literal["none", "partition", "key"]


class KafkaTriggerConfig(TriggerConfig):
    """Records from Kafka topics, read by a consumer group and committed after the durable
    enqueue."""

    type: Literal["kafka"]
    bootstrap_servers: str = Field(
        min_length=1, description="host:port[,host:port…] of the brokers to bootstrap from."
    )
    topics: list[str] | None = Field(None, min_length=1, description="Topics to subscribe to.")
    topic_pattern: str | None = Field(
        None, min_length=1, description="A regex of topic names to subscribe to instead."
    )
    group_id: str = Field(min_length=1, description="Consumer group; offsets are kept per group.")
    group_instance_id: str | None = Field(
        None,
        min_length=1,
        description="Static group membership: a restart with the same id takes its partitions "
        "back without a rebalance. Unique per daemon.",
    )
    start: str = Field(
        "latest",
        description="Where a group with no committed offset starts: earliest, latest or an "
        "RFC 3339 timestamp (the first record at or after it).",
    )
    read_size: int = Field(500, ge=1, le=10_000, description="Most records one read returns.")
    read_window: Duration = Field(
        0.05, ge=0, le=10, description="How long a read waits for records (e.g. 50ms)."
    )
    max_payload_bytes: PayloadBytes = Field(
        1024 * 1024,
        description="A larger record value becomes a triggerhub.kafka.invalid event carrying "
        "its first max_payload_bytes bytes and the reason.",
    )
    ordering: Ordering = Field(
        "none",
        description="none: records run in parallel; partition: one at a time per partition, "
        "in offset order; key: one at a time per record key (records without a key run in "
        "parallel), different keys in parallel.",
    )
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: SecretStr | None = Field(
        None, description="Never logged; put it in an environment variable."
    )
    ssl_cafile: str | None = Field(None, description="CA bundle for SSL / SASL_SSL.")

    @classmethod
    def respell(cls, data: dict[str, Any]) -> list[Respelled]:
        done = moved(data, "batch_size", "read_size", "records per read")
        done += moved(data, "batch_window", "read_window")
        done += moved(data, "max_record_bytes", "max_payload_bytes")
        # `batch: true` was a batch per partition read: `read_size` records at most.
        read_size = data.get("read_size", cls.model_fields["read_size"].default)
        return done + trigger_batch_respelled(data, read_size)

    @field_validator("topic_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"topic_pattern is not a regex: {exc}") from None
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if value not in ("earliest", "latest"):
            start_timestamp_ms(value)
        return value

    @model_validator(mode="after")
    def _one_subscription(self) -> KafkaTriggerConfig:
        if (self.topics is None) == (self.topic_pattern is None):
            raise ValueError("give exactly one of `topics` or `topic_pattern`")
        if self.sasl_mechanism is not None and not self.security_protocol.startswith("SASL"):
            raise ValueError("sasl_mechanism needs security_protocol SASL_PLAINTEXT or SASL_SSL")
        return batched_in_order(self, self.ordering != "none")

    def start_ms(self) -> int | None:
        """The start timestamp in ms since the epoch, None for earliest/latest."""
        return None if self.start in ("earliest", "latest") else start_timestamp_ms(self.start)


def start_timestamp_ms(value: str) -> int:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"start {value!r} is not earliest, latest or an RFC 3339 timestamp"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"start {value!r} needs a time zone (e.g. Z or +00:00)")
    return int(moment.timestamp() * 1000)
