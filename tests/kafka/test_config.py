"""The Kafka trigger's old spellings are read in today's vocabulary: its own `batch` is the
trigger's flow `batching` now."""

from __future__ import annotations

from typing import Any

import pytest

from hub.config.loader import load_text
from hub.errors import ConfigError
from triggers.kafka.config import KafkaTriggerConfig

BASE = {"type": "kafka", "function": "f", "bootstrap_servers": "k:9092", "group_id": "g"}


def kafka(**fields: Any) -> KafkaTriggerConfig:
    return KafkaTriggerConfig.model_validate({**BASE, "topics": ["t"], **fields})


@pytest.mark.parametrize(
    ("written", "size"),
    [
        ({}, 500),  # the default read_size
        ({"read_size": 40}, 40),
        ({"batch_size": 30}, 30),  # the old spelling of read_size
    ],
)
def test_batch_true_is_a_batching_of_one_read(written: dict[str, Any], size: int) -> None:
    config = kafka(batch=True, **written)
    assert config.batching is not None and config.batching.max_size == size == config.read_size
    assert config.batching.max_wait == 0.05 and config.batching.key is None


def test_batch_false_is_no_batching() -> None:
    assert kafka(batch=False).batching is None


@pytest.mark.parametrize(
    ("batch", "size", "wait"),
    [
        ({"size": 8}, 8, 0.05),
        ({"size": 8, "window": "0s"}, 8, 0.05),
        ({"size": 8, "window": "2s"}, 8, 2.0),
    ],
)
def test_a_batch_mapping_is_a_batching(batch: dict[str, Any], size: int, wait: float) -> None:
    batching = kafka(batch=batch).batching
    assert batching is not None and (batching.max_size, batching.max_wait) == (size, wait)


@pytest.mark.parametrize("ordering", ["partition", "key"])
def test_with_ordering_a_batch_holds_one_ordering_key(ordering: str) -> None:
    batching = kafka(batch={"size": 8}, ordering=ordering).batching
    assert batching is not None and batching.key == "orderingkey"
    with pytest.raises(ValueError, match=r"leave `batching\.key` out"):
        kafka(batching={"key": "data.x"}, ordering=ordering)


def test_both_spellings_are_refused() -> None:
    with pytest.raises(ValueError, match="give `batching` only"):
        kafka(batch=True, batching={"max_size": 3})


def test_the_deprecation_names_the_new_spelling() -> None:
    text = (
        "functions:\n  f: {target: {type: http, url: 'http://127.0.0.1:9/'}}\n"
        "triggers:\n  t:\n    type: kafka\n    function: f\n    bootstrap_servers: k:9092\n"
        "    group_id: g\n    topics: [t]\n    batch: true\n"
    )
    loaded = load_text(text, "c.yaml")
    notices = "\n".join(str(n) for n in loaded.notices)
    assert "c.yaml:10:5: triggers.t.batch: deprecated spelling; write `batching` instead" in notices
    with pytest.raises(ConfigError, match=r"batching\.max_size"):
        load_text(text.replace("batch: true", "batch: {size: 0}"), "c.yaml")
