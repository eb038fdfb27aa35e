"""The `kafka` trigger (consumer group, commit after the durable enqueue) and the `kafka`
destination.

Importing this package registers both without importing aiokafka: the source factory is named
by path and loaded when a trigger starts; the deliverer imports aiokafka on first use."""

from hub.destinations.deliver import DELIVERERS
from hub.plugins.registry import TriggerKind, register
from triggers.kafka.config import KafkaTriggerConfig
from triggers.kafka.destination import deliver_kafka

KAFKA = TriggerKind(
    name="kafka",
    config_model=KafkaTriggerConfig,
    factory_path="triggers.kafka.source:build",
    extra="kafka",
    doc="Records from Kafka topics read by a consumer group; offsets are committed only after "
    "their invocations are durably queued.",
)

register(KAFKA)
DELIVERERS.setdefault("kafka", deliver_kafka)

__all__ = ["KAFKA", "KafkaTriggerConfig", "deliver_kafka"]
