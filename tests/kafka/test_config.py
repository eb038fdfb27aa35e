"""The Kafka trigger's old spellings are read in today's vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

from triggers.kafka.config import KafkaTriggerConfig

BASE = {"type": "kafka", "function": "f", "bootstrap_servers": "k:9092", "group_id": "g"}


@pytest.mark.parametrize(
    ("written", "size"),
    [
        ({}, 500),  # the default read_size
        ({"read_size": 40}, 40),
        ({"batch_size": 30}, 30),  # the old spelling of read_size
    ],
)
def test_batch_true_is_a_batch_of_one_read(written: dict[str, Any], size: int) -> None:
    config = KafkaTriggerConfig.model_validate({**BASE, "topics": ["t"], "batch": True, **written})
    assert config.batch is not None and config.batch.size == size == config.read_size


def test_batch_false_is_no_batch() -> None:
    config = KafkaTriggerConfig.model_validate({**BASE, "topics": ["t"], "batch": False})
    assert config.batch is None
