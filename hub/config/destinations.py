"""Where a finished invocation's record goes: another function, an HTTP URL, a dead-letter file.

Kafka and AMQP destinations register with those triggers (see hub.destinations.registry)."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from hub.config.base import Strict
from hub.config.durations import Duration


class FunctionDestination(Strict):
    type: Literal["function"] = "function"
    function: str = Field(description="Name of the function to invoke with the record as data.")


class HttpDestination(Strict):
    type: Literal["http"] = "http"
    url: str = Field(pattern=r"^https?://", description="URL that receives the record as a POST.")
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = Field(10.0, gt=0)


class FileDestination(Strict):
    type: Literal["file"] = "file"
    path: str = Field(description="JSON-lines file; each record is appended and fsynced.")


class AmqpDestination(Strict):
    """Delivered by the amqp plugin (triggers/amqp/destination.py)."""

    type: Literal["amqp"] = "amqp"
    url: str = Field(
        pattern=r"^amqps?://",
        description="amqp://user:password@host:port/vhost; the password is masked in logs.",
    )
    exchange: str = Field(
        "", description="Exchange to publish to; '' is the default exchange (routing_key = queue)."
    )
    routing_key: str = Field("", description="Routing key of every record published.")
    mandatory: bool = Field(
        True, description="An unroutable record (no queue bound) is a failed delivery, retried."
    )
    timeout: Duration = Field(10.0, gt=0, description="For connecting and the broker's confirm.")


def destination_shorthand(value: Any) -> Any:
    """`function:NAME`, `file:PATH` and `http(s)://URL` stand for the full mappings."""
    if not isinstance(value, str):
        return value
    if value.startswith(("http://", "https://")):
        return {"type": "http", "url": value}
    kind, sep, rest = value.partition(":")
    if sep and kind in ("function", "file") and rest:
        return {"type": kind, kind if kind == "function" else "path": rest}
    raise ValueError(
        f"{value!r} is not a destination; write function:NAME, file:PATH, an http(s) URL, "
        "or a mapping with a 'type'"
    )


class KafkaDestination(Strict):
    """Delivered by the kafka plugin (triggers/kafka/destination.py)."""

    type: Literal["kafka"] = "kafka"
    bootstrap_servers: str = Field(min_length=1, description="host:port[,host:port…].")
    topic: str = Field(min_length=1, description="Topic each record is published to (acks=all).")
    key: str | None = Field(None, description="Key of every record published; none: no key.")
    timeout: Duration = Field(10.0, gt=0, description="For connecting and the acknowledgement.")


DestinationConfig = Annotated[
    FunctionDestination | HttpDestination | FileDestination | AmqpDestination | KafkaDestination,
    Field(discriminator="type"),
    BeforeValidator(destination_shorthand),
]
