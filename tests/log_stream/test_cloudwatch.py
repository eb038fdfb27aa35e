"""log_stream from CloudWatch Logs, against a moto server: streams and patterns, pages, and a
durable cursor that neither repeats nor loses events sharing a millisecond across a restart."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest

from hub import Hub
from tests.log_stream.conftest import MakeHub, MakeSet, data, log_trigger, submitted
from tests.servers.moto import CREDENTIALS, REGION, Names
from tests.waiting import until
from triggers.log_stream.cloudwatch import source as cloudwatch_source


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The hub runs in this process: boto3 must not go looking for real credentials.
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


class Group:
    def __init__(self, names: Names) -> None:
        self.names = names
        self.name = names.name("app")
        self.client = names.client("logs")
        self.client.create_log_group(logGroupName=self.name)

    def put(self, stream: str, *messages: str, at: int | None = None) -> None:
        with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
            self.client.create_log_stream(logGroupName=self.name, logStreamName=stream)
        stamp = at if at is not None else now_ms()
        events = [{"timestamp": stamp, "message": m} for m in messages]
        self.client.put_log_events(logGroupName=self.name, logStreamName=stream, logEvents=events)

    def trigger(self, **options: Any) -> Any:
        cloudwatch = {
            "log_group": self.name,
            "interval": "50ms",
            "region": REGION,
            "endpoint_url": self.names.endpoint_url,
            **options.pop("cloudwatch", {}),
        }
        return log_trigger(cloudwatch=cloudwatch, **{"from": "start", **options})


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def group(moto_names: Names) -> Group:
    return Group(moto_names)


async def has(hub: Hub, wanted: int) -> bool:
    return len(await submitted(hub)) >= wanted


async def test_events_of_matching_streams_and_pattern_once_each(
    hub: Hub, make_set: MakeSet, group: Group
) -> None:
    group.put("web-1", "ERROR one", "INFO two")
    group.put("worker-1", "ERROR not this stream")
    async with make_set(hub) as triggers:
        trigger = group.trigger(cloudwatch={"stream_prefix": "web-", "filter_pattern": "ERROR"})
        await triggers.start({"t": trigger})
        await until(lambda: has(hub, 1))
        group.put("web-2", "ERROR three")
        await until(lambda: has(hub, 2))
        await until(lambda: triggers.status()["t"]["events_in"] >= 2)
    assert await data(hub) == ["ERROR one", "ERROR three"]
    one = (await submitted(hub))[0]
    assert (one.type, one.source, one.subject) == (
        "triggerhub.log.line",
        f"cloudwatch:{group.name}",
        "web-1",
    )
    event_id = one.extensions["logeventid"]
    assert one.idempotency_key == one.id == f"cwl:{group.name}:{event_id}"
    assert one.extensions["logstream"] == "web-1"


async def test_a_restart_resumes_inside_a_millisecond(
    make_hub: MakeHub, make_set: MakeSet, group: Group
) -> None:
    stamp = now_ms()
    group.put("s", "a", "b", "c", at=stamp)
    trigger = group.trigger()
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: has(hub, 3))
    # While stopped: more events in the very millisecond the cursor stopped at, and later.
    group.put("s", "d", "e", at=stamp)
    group.put("s", "f", at=stamp + 1)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: has(hub, 6))
        await until(lambda: triggers.status()["t"]["events_in"] == 3)  # only the new ones
        assert await data(hub) == ["a", "b", "c", "d", "e", "f"]


async def test_pages_batches_and_from_end(
    hub: Hub, make_set: MakeSet, group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cloudwatch_source, "PAGE_LIMIT", 2)
    group.put("s", "before the first start", at=now_ms() - 60_000)
    async with make_set(hub) as triggers:
        await triggers.start({"t": group.trigger(batch_size=2, **{"from": "end"})})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        await until(lambda: _cursor_stored(hub))
        group.put("s", *(f"m{n}" for n in range(5)))
        await until(lambda: _messages(hub, 5))
    batches = sorted(e.data for e in await submitted(hub))
    assert batches == [["m0", "m1"], ["m2", "m3"], ["m4"]]


async def _cursor_stored(hub: Hub) -> bool:
    return await hub.store.get_checkpoint("log_stream:t") is not None


async def _messages(hub: Hub, wanted: int) -> bool:
    return sum(len(e.data) for e in await submitted(hub)) >= wanted
