"""The `amqp` trigger (RabbitMQ / AMQP 0-9-1 queues) and the `amqp` destination.

Importing this package registers both without importing aio-pika: the source factory is named
by path and loaded when a trigger starts; the deliverer imports aio-pika on first use."""

from hub.destinations.deliver import DELIVERERS
from hub.plugins.registry import TriggerKind, register
from triggers.amqp.config import AmqpTriggerConfig
from triggers.amqp.destination import deliver_amqp

AMQP = TriggerKind(
    name="amqp",
    config_model=AmqpTriggerConfig,
    factory_path="triggers.amqp.source:build",
    extra="amqp",
    doc="Messages from a RabbitMQ (AMQP 0-9-1) queue bound to an exchange; each message is "
    "acked only after its invocation is durably queued.",
)

register(AMQP)
DELIVERERS.setdefault("amqp", deliver_amqp)

__all__ = ["AMQP", "AmqpTriggerConfig", "deliver_amqp"]
