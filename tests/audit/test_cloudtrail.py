"""CloudTrail-shaped events through a real (moto) EventBridge rule into SQS, read by the audit
trigger: messages are deleted only after their invocations are durably queued."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub import Hub
from tests.audit.conftest import RECORD, MakeSet, audit_trigger, submitted
from tests.servers.moto import CREDENTIALS, REGION, Names
from tests.waiting import until

DETAILS: list[dict[str, Any]] = orjson.loads(
    (Path(__file__).parent / "fixtures" / "cloudtrail-api-calls.json").read_bytes()
)


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


class Bus:
    """A queue fed by an EventBridge rule matching CloudTrail API calls."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.sqs = names.client("sqs")
        self.events = names.client("events")
        self.queue_url = self.sqs.create_queue(QueueName=names.name("trail"))["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        rule = names.name("api-calls")
        pattern = {"detail-type": ["AWS API Call via CloudTrail"]}
        self.events.put_rule(Name=rule, EventPattern=orjson.dumps(pattern).decode())
        self.events.put_targets(
            Rule=rule, Targets=[{"Id": "queue", "Arn": arn["Attributes"]["QueueArn"]}]
        )

    def publish(self, *details: dict[str, Any]) -> None:
        entries = [
            {
                "Source": "aws." + d["eventSource"].split(".")[0],
                "DetailType": "AWS API Call via CloudTrail",
                "Detail": orjson.dumps(d).decode(),
            }
            for d in details
        ]
        result = self.events.put_events(Entries=entries)
        assert result["FailedEntryCount"] == 0, result

    def depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def trigger(self, **options: Any) -> Any:
        return audit_trigger(
            "cloudtrail",
            queue_url=self.queue_url,
            region=REGION,
            endpoint_url=self.names.endpoint_url,
            wait_time="1s",
            **options,
        )


@pytest.fixture
def bus(moto_names: Names) -> Bus:
    return Bus(moto_names)


def has(hub: Hub, wanted: int) -> Callable[[], Any]:
    async def check() -> bool:
        return len(await submitted(hub)) >= wanted

    return check


async def test_api_calls_are_invoked_and_then_deleted(
    hub: Hub, make_set: MakeSet, bus: Bus
) -> None:
    bus.publish(*DETAILS)
    async with make_set(hub) as triggers:
        await triggers.start({"t": bus.trigger()})
        await until(has(hub, 4))
        await until(lambda: bus.depth() == 0)
    events = {e.subject: e for e in await submitted(hub)}
    assert set(events) == {"CreateBucket", "ListBuckets", "CreateAccessKey", "DescribeInstances"}
    created = events["CreateAccessKey"]
    assert (
        created.id == created.idempotency_key == "cloudtrail:c4d5e6f7-0809-4a1b-9c2d-3e4f5a6b7c8d"
    )
    assert (created.type, created.source, created.time) == (
        "triggerhub.audit.cloudtrail",
        "cloudtrail:iam.amazonaws.com",
        "2024-05-01T12:01:00Z",
    )
    assert created.data == DETAILS[2]
    assert created.extensions["awsregion"] == "us-east-1"
    assert created.extensions["awsaccount"] == "123456789012"
    assert created.extensions["eventbridgeid"]


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"event_sources": "s3.amazonaws.com"}, ["CreateBucket", "ListBuckets"]),
        ({"event_names": ["CreateAccessKey", "DeleteBucket"]}, ["CreateAccessKey"]),
        ({"read_only": False}, ["CreateAccessKey", "CreateBucket"]),
        ({"users": "admin", "read_only": True}, ["DescribeInstances"]),  # the role's name
        ({"users": "arn:aws:iam::123456789012:user/alice"}, ["CreateBucket", "ListBuckets"]),
    ],
)
async def test_filters(
    hub: Hub, make_set: MakeSet, bus: Bus, options: dict[str, Any], names: list[str]
) -> None:
    bus.publish(*DETAILS)
    async with make_set(hub) as triggers:
        await triggers.start({"t": bus.trigger(**options)})
        await until(lambda: bus.depth() == 0)  # filtered-out messages are deleted too
    assert sorted(e.subject or "" for e in await submitted(hub)) == names


async def test_messages_stay_until_the_submit_succeeds(
    hub: Hub, make_set: MakeSet, bus: Bus
) -> None:
    bus.publish(*DETAILS[:2])
    hub.set_functions({})  # every submit fails until the function is back
    async with make_set(hub) as triggers:
        await triggers.start({"t": bus.trigger()})
        await until(lambda: "no function named" in str(triggers.status()["t"]["last_error"]))
        assert bus.depth() == 2  # not deleted: made visible again
        hub.set_functions({"f": RECORD})
        await until(has(hub, 2))
        await until(lambda: bus.depth() == 0)
    assert len(await submitted(hub)) == 2


async def test_a_message_that_is_not_an_api_call_is_carried_flagged(
    hub: Hub, make_set: MakeSet, bus: Bus
) -> None:
    bus.sqs.send_message(QueueUrl=bus.queue_url, MessageBody="not json")
    async with make_set(hub) as triggers:
        await triggers.start({"t": bus.trigger(event_sources=["s3.amazonaws.com"])})
        await until(has(hub, 1))
        await until(lambda: bus.depth() == 0)
    [event] = await submitted(hub)
    assert event.extensions == {"auditflags": "invalid"}
    assert event.data["body"] == "not json"
    assert (event.idempotency_key or "").startswith("sqs:")
