"""The `kafka` trigger (consumer group, commit after the durable enqueue) and the `kafka`
destination.

Importing this package registers both without importing aiokafka: the source factory and the
deliverer are named by path and loaded on first use."""

from hub.destinations.kinds import DestinationKind, register_destination
from hub.plugins.registry import TriggerKind, register
from triggers.kafka.config import KafkaTriggerConfig
from triggers.kafka.destination import KafkaDestination

KAFKA = TriggerKind(
    name="kafka",
    config_model=KafkaTriggerConfig,
    factory_path="triggers.kafka.source:build",
    extra="kafka",
    doc="Records from Kafka topics read by a consumer group; offsets are committed only after "
    "their invocations are durably queued.",
)

KAFKA_DESTINATION = DestinationKind(
    name="kafka",
    config_model=KafkaDestination,
    factory_path="triggers.kafka.destination:deliver_kafka",
    extra="kafka",
    doc="A topic each record is published to with acks=all.",
)

register(KAFKA)
register_destination(KAFKA_DESTINATION)

__all__ = ["KAFKA", "KAFKA_DESTINATION", "KafkaDestination", "KafkaTriggerConfig"]
