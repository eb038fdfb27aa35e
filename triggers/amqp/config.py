"""The `type: amqp` trigger's options, checked when the triggers file loads (no connection)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.config.spellings import Respelled, moved
from hub.config.triggers import TriggerConfig
from hub.plugins.options import PayloadBytes
from triggers.amqp.urls import AMQP_URL_PATTERN

ExchangeType = Literal["topic", "fanout", "direct", "headers"]
HeaderValue = str | int | float | bool
MATCH_MODES = ("all", "any", "all-with-x", "any-with-x")
QUEUE_PREFIX = "triggerhub."


def _name_only(value: Any) -> Any:
    """`exchange: orders` / `queue: orders-in` stand for `{name: …}` with the defaults."""
    return {"name": value} if isinstance(value, str) else value


class ExchangeConfig(Strict):
    name: str = Field(min_length=1, max_length=255, description="Exchange to bind the queue to.")
    type: ExchangeType = Field("topic", description="Declared with this type if it is missing.")
    durable: bool = Field(True, description="Survives a broker restart.")


class QueueConfig(Strict):
    name: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description=f"Queue to consume; default `{QUEUE_PREFIX}<trigger name>`.",
    )
    durable: bool = Field(True, description="Survives a broker restart (needed for quorum).")
    quorum: bool = Field(
        False,
        description="Declare a replicated quorum queue (x-queue-type: quorum); the broker then "
        "counts deliveries, which arms the max_deliveries poison fuse.",
    )
    arguments: dict[str, HeaderValue] = Field(
        default_factory=dict,
        description="Queue arguments passed through, e.g. x-message-ttl, x-max-length, "
        "x-dead-letter-exchange.",
    )

    @model_validator(mode="after")
    def _quorum_is_durable(self) -> QueueConfig:
        if self.quorum and not self.durable:
            raise ValueError("a quorum queue is always durable: remove `durable: false`")
        if self.quorum and self.arguments.get("x-queue-type", "quorum") != "quorum":
            raise ValueError("`quorum: true` conflicts with arguments.x-queue-type")
        return self


# A bare name is accepted in YAML (and in the JSON Schema) for either section.
Exchange = Annotated[
    ExchangeConfig | None,
    BeforeValidator(_name_only, json_schema_input_type=str | ExchangeConfig | None),
]
Queue = Annotated[
    QueueConfig, BeforeValidator(_name_only, json_schema_input_type=str | QueueConfig)
]


class AmqpTriggerConfig(TriggerConfig):
    """Messages from a RabbitMQ (AMQP 0-9-1) queue bound to an exchange."""

    type: Literal["amqp"]
    url: str = Field(
        pattern=AMQP_URL_PATTERN,
        description="amqp://user:password@host:port/vhost; the password is never logged. "
        "Put it in an environment variable: amqp://hub:${AMQP_PASSWORD}@host/vhost.",
    )
    exchange: Exchange = Field(
        None,
        description="Exchange the queue is bound to (a name or a mapping); none: consume the "
        "queue as it is, without declaring an exchange or bindings.",
    )
    binding_keys: list[str] | None = Field(
        None,
        min_length=1,
        description="Routing keys (topic patterns) the queue is bound with; default `#` for a "
        "topic exchange, required for a direct one, ignored by fanout.",
    )
    headers: dict[str, HeaderValue] | None = Field(
        None,
        description="Binding arguments for a headers exchange; `x-match` is all (default), "
        "any, all-with-x or any-with-x.",
    )
    queue: Queue = Field(default_factory=QueueConfig)
    prefetch: int = Field(
        256, ge=1, le=65535, description="Messages the broker hands over before any is acked."
    )
    read_size: int = Field(100, ge=1, le=10_000, description="Most messages one read returns.")
    read_window: Duration = Field(
        0.01, ge=0, le=10, description="How long a read waits for more after its first message."
    )
    max_payload_bytes: PayloadBytes = Field(
        1024 * 1024,
        description="A larger body is not invoked as is: it becomes a triggerhub.amqp.invalid "
        "event carrying its first max_payload_bytes bytes and the reason.",
    )
    max_deliveries: int = Field(
        10,
        ge=2,
        le=1000,
        description="Quorum queues only: a message the broker delivered this often without it "
        "being queued (the daemon died holding it) becomes a triggerhub.amqp.invalid event.",
    )
    key_from_content: bool = Field(
        False,
        description="Without a message_id, derive the idempotency key from a hash of the "
        "message (exchange, routing key, properties, headers, body): identical messages inside "
        "the dedup window are then invoked once. Off: such messages have no key.",
    )
    connect_timeout: Duration = Field(10.0, gt=0, le=300)

    @classmethod
    def respell(cls, data: dict[str, Any]) -> list[Respelled]:
        done = moved(data, "batch_size", "read_size", "messages per read")
        done += moved(data, "batch_window", "read_window")
        return done + moved(data, "max_message_bytes", "max_payload_bytes")

    @field_validator("headers")
    @classmethod
    def _match_mode(cls, value: dict[str, HeaderValue] | None) -> dict[str, HeaderValue] | None:
        if value is not None and value.get("x-match", "all") not in MATCH_MODES:
            raise ValueError(f"x-match must be one of {', '.join(MATCH_MODES)}")
        return value

    @model_validator(mode="after")
    def _bindings_fit_the_exchange(self) -> AmqpTriggerConfig:
        kind = self.exchange.type if self.exchange is not None else None
        if kind is None and (self.binding_keys or self.headers is not None):
            raise ValueError("binding_keys and headers need an `exchange` to bind to")
        if kind == "headers" and self.binding_keys:
            raise ValueError("a headers exchange routes by `headers`, not binding_keys")
        if kind not in (None, "headers") and self.headers is not None:
            raise ValueError("`headers` binds to a headers exchange only")
        if kind == "direct" and not self.binding_keys:
            raise ValueError("a direct exchange needs binding_keys (the routing keys to take)")
        if self.read_size > self.prefetch:
            raise ValueError(
                f"read_size ({self.read_size}) cannot exceed prefetch ({self.prefetch}): "
                "the broker never hands over more unacknowledged messages than prefetch"
            )
        return self

    def queue_name(self, trigger: str) -> str:
        return self.queue.name or f"{QUEUE_PREFIX}{trigger}"

    def bindings(self) -> list[tuple[str, dict[str, HeaderValue] | None]]:
        """(routing key, arguments) pairs the queue is bound with."""
        if self.exchange is None:
            return []
        if self.exchange.type == "headers":
            return [("", {"x-match": "all", **(self.headers or {})})]
        if self.exchange.type == "fanout":
            return [("", None)]
        return [(key, None) for key in self.binding_keys or ["#"]]
