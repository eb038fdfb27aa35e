"""The `amqp` trigger (RabbitMQ / AMQP 0-9-1 queues) and the `amqp` destination.

Importing this package registers both without importing aio-pika: the source factory and the
deliverer are named by path and loaded on first use."""

from hub.destinations.kinds import DestinationKind, register_destination
from hub.plugins.registry import TriggerKind, register
from triggers.amqp.config import AmqpTriggerConfig
from triggers.amqp.destination import AmqpDestination

AMQP = TriggerKind(
    name="amqp",
    config_model=AmqpTriggerConfig,
    factory_path="triggers.amqp.source:build",
    extra="amqp",
    doc="Messages from a RabbitMQ (AMQP 0-9-1) queue bound to an exchange; each message is "
    "acked only after its invocation is durably queued.",
)

AMQP_DESTINATION = DestinationKind(
    name="amqp",
    config_model=AmqpDestination,
    factory_path="triggers.amqp.destination:deliver_amqp",
    extra="amqp",
    doc="An exchange each record is published to as a persistent message, confirmed.",
)

register(AMQP)
register_destination(AMQP_DESTINATION)

__all__ = ["AMQP", "AMQP_DESTINATION", "AmqpDestination", "AmqpTriggerConfig"]
