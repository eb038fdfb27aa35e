"""The SQS source against moto's server: bucket notifications (direct and through SNS) become
one invocation per record; messages are deleted only after the durable commit, kept hidden
while their batch is worked on, returned at once on a nack, and never loop when invalid."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import structlog

from hub import Hub
from hub.plugins import Supervisor
from hub.plugins.contract import BackOff, Batch, SourceContext
from hub.store.base import ListQuery
from tests.object_storage.conftest import MakeHub, MakeSet, Wired, fn, trigger, wire
from tests.object_storage.functions import wait_recorded
from tests.servers.moto import Names
from tests.waiting import until
from triggers.object_storage.parse import INVALID_TYPE, queue_name
from triggers.object_storage.sqs import SqsSource


async def invocations(hub: Hub, function: str = "f") -> list[Any]:
    return list((await hub.query(ListQuery(function=function, limit=1000))).items)


async def settled(hub: Hub, wired: Wired, count: int, function: str = "f") -> list[Any]:
    """Wait until the queue is empty (every message deleted, so every batch committed) and
    `count` invocations exist; then no more can appear."""
    await until(wired.empty, timeout=20)
    await until(lambda: _has(hub, count, function), timeout=10)
    return await invocations(hub, function)


async def _has(hub: Hub, count: int, function: str) -> bool:
    return len(await invocations(hub, function)) >= count


def put_copy_multipart_delete(wired: Wired) -> None:
    s3, bucket = wired.s3, wired.bucket
    wired.put("a b/c+d.txt")
    s3.copy_object(
        Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "a b/c+d.txt"}
    )
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    part = s3.upload_part(
        Bucket=bucket, Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 64
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    s3.delete_object(Bucket=bucket, Key="copy.txt")


async def test_put_copy_multipart_and_delete_each_become_invocations(
    wired: Wired, make_hub: MakeHub, make_set: MakeSet
) -> None:
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"uploads": trigger(**wired.sqs_options())})
        await asyncio.to_thread(put_copy_multipart_delete, wired)
        invs = await settled(hub, wired, 5)
        events = await wait_recorded(5)
        status = triggers.status()["uploads"]
    seen = Counter((e.type, e.subject, e.data["event_name"]) for e in events)
    assert seen == Counter(
        [
            ("triggerhub.object.created", "a b/c+d.txt", "ObjectCreated:Put"),
            ("triggerhub.object.created", "copy.txt", "ObjectCreated:Copy"),
            # moto emits an extra Put beside CompleteMultipartUpload: two records, two keys.
            ("triggerhub.object.created", "big.bin", "ObjectCreated:Put"),
            ("triggerhub.object.created", "big.bin", "ObjectCreated:CompleteMultipartUpload"),
            ("triggerhub.object.removed", "copy.txt", "ObjectRemoved:Delete"),
        ]
    )
    assert len(invs) == 5 and len({inv.idempotency_key for inv in invs}) == 5
    put = next(e for e in events if e.subject == "a b/c+d.txt")
    assert put.source == f"s3://{wired.bucket}"
    assert put.time == put.data["event_time"]
    assert (put.data["bucket"], put.data["size"], put.data["region"]) == (
        wired.bucket,
        5,
        "us-east-1",
    )
    assert put.data["record"]["s3"]["object"]["key"] == "a+b%2Fc%2Bd.txt"  # as sent
    assert put.idempotency_key == (
        f"s3:{wired.bucket}:a b/c+d.txt::ObjectCreated:Put:{put.time}:{put.data['etag']}"
    )
    assert (status["state"], status["restarts"], status["events_in"]) == ("connected", 0, 5)


async def test_trigger_filters_drop_records_and_their_messages_are_still_deleted(
    wired: Wired, make_hub: MakeHub, make_set: MakeSet
) -> None:
    options = wired.sqs_options(
        events=["s3:ObjectCreated:Put", "ObjectRemoved:*"], prefix="in/", suffix=".csv"
    )

    def operate() -> None:
        for key in ("in/a.csv", "in/b.txt", "out/c.csv"):
            wired.put(key)
        source = {"Bucket": wired.bucket, "Key": "in/a.csv"}
        wired.s3.copy_object(Bucket=wired.bucket, Key="in/d.csv", CopySource=source)
        wired.s3.delete_object(Bucket=wired.bucket, Key="in/a.csv")

    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"csv": trigger(**options)})
        await asyncio.to_thread(operate)
        invs = await settled(hub, wired, 2)
    assert sorted((i.event.subject, i.event.data["event_name"]) for i in invs) == [
        ("in/a.csv", "ObjectCreated:Put"),
        ("in/a.csv", "ObjectRemoved:Delete"),
    ]


async def test_notifications_through_sns_are_unwrapped(
    moto_names: Names, make_hub: MakeHub, make_set: MakeSet
) -> None:
    wired = await asyncio.to_thread(wire, moto_names, via_sns=True)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"uploads": trigger(**wired.sqs_options())})
        await asyncio.to_thread(wired.put, "reports/q1 2024.pdf")
        [inv] = await settled(hub, wired, 1)
    event = inv.event
    assert (event.type, event.source, event.subject) == (
        "triggerhub.object.created",
        f"s3://{wired.bucket}",
        "reports/q1 2024.pdf",
    )
    assert event.data["record"]["eventSource"] == "aws:s3"  # the S3 record, not the envelope


async def test_messages_that_are_not_notifications_go_to_on_failure_and_are_deleted(
    wired: Wired, make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    dead = tmp_path / "dead-letter.jsonl"
    funcs = {"f": fn("refuse_invalid", max_retry_attempts=0, on_failure=f"file:{dead}")}
    bodies = ["not json", '{"hello": "world"}', '{"Records": "nope"}']

    def send() -> list[str]:
        sent = [wired.sqs.send_message(QueueUrl=wired.queue_url, MessageBody=b) for b in bodies]
        wired.put("fine.txt")
        return [s["MessageId"] for s in sent]

    async with make_hub(funcs) as hub, make_set(hub) as triggers:
        await triggers.start({"uploads": trigger(**wired.sqs_options())})
        message_ids = await asyncio.to_thread(send)
        invs = await settled(hub, wired, 4)
        await wait_recorded(1)
        await until(lambda: dead.exists() and dead.read_text().count("\n") == 3)
    queue = queue_name(wired.queue_url)
    invalid = sorted(i.idempotency_key for i in invs if i.event.type == INVALID_TYPE)
    assert invalid == sorted(f"sqs:{queue}:{m}" for m in message_ids)
    records = [json.loads(line) for line in dead.read_text().splitlines()]
    by_body = {r["request_payload"]["data"]["body"]: r for r in records}
    assert sorted(by_body) == sorted(bodies)
    assert by_body["not json"]["request_payload"]["data"]["reason"].startswith(
        "the body is not JSON"
    )
    assert (
        "no 'Records' list" in by_body['{"Records": "nope"}']["response_context"]["function_error"]
    )
    assert {r["request_context"]["condition"] for r in records} == {"NonRetryableError"}


async def test_a_failed_submit_returns_the_messages_at_once(
    wired: Wired, make_hub: MakeHub, make_set: MakeSet
) -> None:
    # A long visibility timeout: only the nack (visibility 0) can bring the message back soon.
    options = wired.sqs_options(visibility_timeout=300)
    async with make_hub({"other": fn()}) as hub, make_set(hub) as triggers:
        await triggers.start({"uploads": trigger(**options)})
        await asyncio.to_thread(wired.put, "k.txt")
        # The trigger feeds `f`, which the hub does not know yet: every submit fails.
        await until(lambda: triggers.status()["uploads"]["events_in"] >= 3, timeout=20)
        assert "no function named 'f'" in (triggers.status()["uploads"]["last_error"] or "")
        hub.set_functions({"other": fn(), "f": fn()})
        [inv] = await settled(hub, wired, 1)
    assert inv.event.subject == "k.txt"


def source_for(wired: Wired, loops: Supervisor | None = None, **options: Any) -> SqsSource:
    context = SourceContext("uploads", _no_checkpoint, structlog.get_logger("test"))
    if loops is not None:
        context.loops = loops
    return SqsSource(trigger(**wired.sqs_options(**options)), context)


async def _no_checkpoint(_name: str) -> str | None:
    return None


async def read_events(source: SqsSource) -> Batch:
    """The next batch with events (the notification test event is acked on the way)."""
    while True:
        try:
            batch = await source.read()
        except BackOff:
            continue
        if batch.events:
            return batch
        await batch.ack()


def competing_receive(wired: Wired) -> list[dict[str, Any]]:
    """What another consumer of the queue gets now (S3's test event left out)."""
    response = wired.sqs.receive_message(
        QueueUrl=wired.queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=0,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return [m for m in messages if "s3:TestEvent" not in m["Body"]]


async def test_a_batch_being_worked_on_stays_hidden_and_a_nack_returns_it(
    wired: Wired,
) -> None:
    loops = Supervisor("trigger:uploads")
    source = source_for(wired, loops, visibility_timeout=1)
    await source.connect()
    try:
        await asyncio.to_thread(wired.put, "slow.txt")
        batch = await read_events(source)
        [held] = source.in_flight
        # The heartbeat is the trigger's supervised task, for as long as the batch is held.
        [beat] = loops.running()
        assert beat.startswith("trigger:uploads/sqs-visibility:")
        # Three extensions: 1.5 s after the receive, past the 1 s it was first hidden for.
        await until(lambda: held.extensions >= 3, timeout=10)
        assert await asyncio.to_thread(competing_receive, wired) == []
        await batch.nack("submit failed")
        assert source.in_flight == ()
        assert loops.running() == []
        [message] = await asyncio.to_thread(competing_receive, wired)
        assert message["Attributes"]["ApproximateReceiveCount"] == "2"
    finally:
        await source.close()


async def test_closing_the_source_returns_unsettled_messages(wired: Wired) -> None:
    source = source_for(wired, visibility_timeout=300)
    await source.connect()
    await asyncio.to_thread(wired.put, "k.txt")
    await read_events(source)
    await source.close()
    [message] = await asyncio.to_thread(competing_receive, wired)
    assert json.loads(message["Body"])["Records"][0]["s3"]["object"]["key"] == "k.txt"


def poll_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "object-storage-poll"]


async def test_a_cancelled_long_poll_gives_back_what_it_receives(wired: Wired) -> None:
    await asyncio.to_thread(wired.sqs.purge_queue, QueueUrl=wired.queue_url)  # the test event
    await until(lambda: not poll_threads(), timeout=10)  # earlier tests' polls are done
    source = source_for(wired, visibility_timeout=300, wait_time_seconds=5)
    await source.connect()
    try:
        reading = asyncio.create_task(source.read())
        await until(lambda: bool(poll_threads()))
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        # The abandoned poll is still waiting in SQS: it receives this one and gives it back.
        await asyncio.to_thread(wired.put, "late.txt")
        await until(lambda: not poll_threads(), timeout=10)
        [message] = await asyncio.to_thread(competing_receive, wired)
        assert message["Attributes"]["ApproximateReceiveCount"] == "2"
    finally:
        await source.close()
