from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.config.functions import FunctionConfig
from hub.plugins import Registry
from tests.object_storage import functions
from tests.servers.moto import Names
from tests.support import MakeHub, MakeSet, hub_factory, trigger_set_factory
from triggers.object_storage import OBJECT_STORAGE, ObjectStorageConfig

FIXTURES = Path(__file__).parent / "fixtures"
ALL_OBJECT_EVENTS = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fixture_bytes(name))
    return loaded


def fn(handler: str = "record", **fields: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {
            "target": {"type": "python", "handler": f"tests.object_storage.functions:{handler}"},
            **fields,
        }
    )


def trigger(function: str = "f", **fields: Any) -> ObjectStorageConfig:
    return ObjectStorageConfig.model_validate(
        {"type": "object_storage", "function": function, **fields}
    )


@pytest.fixture(autouse=True)
def _reset() -> None:
    functions.reset()


@pytest.fixture
def make_hub(tmp_path: Path) -> MakeHub:
    return hub_factory(tmp_path, {"f": fn()})


@pytest.fixture
def make_set() -> MakeSet:
    registry = Registry()
    registry.register(OBJECT_STORAGE)
    return trigger_set_factory(registry)


@dataclass
class Wired:
    """A moto bucket whose notifications go to a moto queue (directly or through SNS)."""

    names: Names
    bucket: str
    queue_url: str
    s3: Any
    sqs: Any

    def sqs_options(self, **fields: Any) -> dict[str, Any]:
        """What a trigger needs to read the queue from moto (fast polls, short timeouts)."""
        return {
            "queue_url": self.queue_url,
            "endpoint_url": self.names.endpoint_url,
            "region": "us-east-1",
            "access_key_id": "testing",
            "secret_access_key": "testing",
            "wait_time_seconds": 1,
            **fields,
        }

    def put(self, key: str, body: bytes = b"hello") -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def counts(self) -> tuple[int, int]:
        """(visible, in flight) messages of the queue."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attrs["ApproximateNumberOfMessages"]),
            int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        )

    async def empty(self) -> bool:
        return await asyncio.to_thread(self.counts) == (0, 0)


def wire(
    names: Names,
    events: Iterable[str] = ALL_OBJECT_EVENTS,
    *,
    via_sns: bool = False,
    rules: dict[str, str] | None = None,
    suffix: str = "",
) -> Wired:
    """Bucket → queue notifications, the way an operator configures them (blocking)."""
    s3, sqs = names.client("s3"), names.client("sqs")
    bucket, queue = names.name(f"bucket{suffix}"), names.name(f"queue{suffix}")
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    target: dict[str, Any] = {"Events": list(events)}
    if rules:
        target["Filter"] = {
            "Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in rules.items()]}
        }
    if via_sns:
        sns = names.client("sns")
        topic = sns.create_topic(Name=names.name(f"topic{suffix}"))["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)  # raw delivery off
        config = {"TopicConfigurations": [{"TopicArn": topic, **target}]}
    else:
        config = {"QueueConfigurations": [{"QueueArn": queue_arn, **target}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    return Wired(names, bucket, queue_url, s3, sqs)


@pytest.fixture
async def wired(moto_names: Names) -> Wired:
    return await asyncio.to_thread(wire, moto_names)
