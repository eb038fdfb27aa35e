"""The kafka trigger against a real broker (noida-db), with a real Hub on SQLite."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from hub.config.triggers import TriggerConfig
from hub.eventcheck import MAX_DATA_DEPTH
from hub.events import INVALID_ATTR, Event
from tests.kafka import functions
from tests.kafka.conftest import MakeHub, MakeSet, fn, kafka_trigger
from tests.kafka.helpers import all_invocations, idle, produce_many
from tests.servers.kafka import Topics, take
from tests.waiting import until
from triggers.kafka.parse import INVALID_TYPE, RECORD_TYPE


def numbered(first: int, last: int) -> list[bytes]:
    return [orjson.dumps({"n": n}) for n in range(first, last)]


def noida_trigger(topics: Topics, topic: str, **fields: Any) -> TriggerConfig:
    # noida-db's groups are only reliable with static membership (tests/servers/README.md).
    fields.setdefault("group_instance_id", f"{topics.prefix}member")
    fields.setdefault("start", "earliest")
    return kafka_trigger(topics.bootstrap, topics=[topic], group_id=topics.name("group"), **fields)


async def test_ten_thousand_records_on_three_partitions_are_invoked_exactly_once(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events", partitions=3)
    total = 10_000
    await produce_many(noida_topics.bootstrap, topic, numbered(0, total), partitions=3)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"orders": noida_trigger(noida_topics, topic, batch_size=1000)})
        await until(lambda: len(functions.state.events) >= total, timeout=120)
        await until(lambda: idle(hub), timeout=10)
        await until(lambda: triggers.status()["orders"]["lag"] == 0.0, timeout=10)
        invocations = await all_invocations(hub)
        status = triggers.status()["orders"]
    assert status["lag_detail"] == {f"{topic}/{p}": 0.0 for p in range(3)}
    assert sorted(inv.event.data["n"] for inv in invocations) == list(range(total))
    assert len(functions.state.events) == total
    assert Counter(e.extensions["kafkapartition"] for e in functions.state.events).keys() == {
        0,
        1,
        2,
    }
    assert {inv.event.type for inv in invocations} == {RECORD_TYPE}
    assert (status["events_in"], status["restarts"]) == (total, 0)
    # Everything was committed: the group's next member starts at the end.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=noida_topics.bootstrap, group_id=noida_topics.name("group")
    )
    await consumer.start()
    try:
        from aiokafka import TopicPartition

        committed = [await consumer.committed(TopicPartition(topic, p)) for p in range(3)]
    finally:
        await consumer.stop()
    assert sum(c or 0 for c in committed) == total


async def test_after_a_restart_every_partition_shows_its_lag_before_anything_is_read(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events", partitions=3)
    await produce_many(noida_topics.bootstrap, topic, numbered(0, 10), partitions=2)
    trigger = noida_trigger(noida_topics, topic)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: len(functions.state.events) == 10, timeout=60)
        await until(lambda: idle(hub), timeout=10)
    # Stopped with partitions 0 and 1 committed to their end and 2 never committed; now
    # records wait on 0 and on 2.
    await produce_many(noida_topics.bootstrap, topic, numbered(10, 14), first_partition=0)
    await produce_many(noida_topics.bootstrap, topic, numbered(14, 17), first_partition=2)
    functions.reset()
    expected = {f"{topic}/0": 4.0, f"{topic}/1": 0.0, f"{topic}/2": 3.0}
    async with make_hub(max_backlog=1) as hub, make_set(hub) as triggers:
        # A full backlog keeps the restarted trigger from reading: what it shows is known
        # from the broker alone, not from records it fetched.
        await hub.submit("f", [Event(type="filler", source="test")], delay=600)
        await triggers.start({"t": trigger})
        # It connects (and learns the lag) before it sees the full backlog and pauses.
        await until(
            lambda: (
                triggers.status()["t"]["lag_detail"] == expected
                and triggers.status()["t"]["state"] == "paused"
            ),
            timeout=30,
        )
        status = triggers.status()["t"]
        assert (status["state"], status["events_in"], status["lag"]) == ("paused", 0, 7.0)
        assert status["lag_unit"] == "records"
        # Records produced while it is paused (so fetching nothing) show up too.
        await produce_many(noida_topics.bootstrap, topic, numbered(17, 19), first_partition=1)
        expected[f"{topic}/1"] = 2.0
        await until(lambda: triggers.status()["t"]["lag_detail"] == expected, timeout=30)

        def refreshing() -> bool:
            triggers.status()  # stale figures start a refresh
            return "intake/trigger:t/kafka-lag-refresh" in hub.supervisor.running()

        # The refresh is the trigger's supervised task, and stops with it.
        await until(refreshing, timeout=15)
        await triggers.stop()
        assert not [name for name in hub.supervisor.running() if "trigger:t" in name]
    assert functions.state.events == []


async def test_a_timestamp_start_skips_what_came_before(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events")
    await produce_many(noida_topics.bootstrap, topic, numbered(0, 5))
    boundary = time.time()
    await until(lambda: time.time() > boundary + 0.05)
    await produce_many(noida_topics.bootstrap, topic, numbered(5, 10))
    start = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(boundary)) + (
        f".{int(boundary * 1000) % 1000:03d}Z"
    )
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": noida_trigger(noida_topics, topic, start=start)})
        await until(lambda: len(functions.state.events) >= 5, timeout=30)
        await until(lambda: idle(hub), timeout=10)
        invocations = await all_invocations(hub)
    assert sorted(inv.event.data["n"] for inv in invocations) == list(range(5, 10))


async def test_bad_records_reach_the_failure_destination_and_the_partition_moves_on(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    (topic,) = await noida_topics.create("events")
    dead = tmp_path / "dead.jsonl"
    boot = noida_topics.bootstrap
    await produce_many(boot, topic, [b'{"n": 0}'])
    await produce_many(boot, topic, [b"y" * 5000])  # oversized
    await produce_many(boot, topic, [b"{nope"], headers=[("content-type", b"application/json")])
    await produce_many(boot, topic, [b'{"n": 3}'])
    funcs = {"f": fn("refuse_invalid", on_failure={"type": "file", "path": str(dead)})}
    async with make_hub(funcs) as hub, make_set(hub) as triggers:
        await triggers.start({"t": noida_trigger(noida_topics, topic, max_record_bytes=1000)})
        await until(lambda: dead.exists() and len(dead.read_bytes().splitlines()) == 2, timeout=30)
        await until(lambda: len(functions.state.events) == 2, timeout=10)
        invocations = await all_invocations(hub)
    assert [e.data for e in functions.state.events] == [{"n": 0}, {"n": 3}]
    records = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    reasons = sorted(r["response_context"]["function_error"] for r in records)
    assert "over max_payload_bytes" in reasons[1] and "says JSON" in reasons[0], reasons
    invalid = sorted(
        (inv for inv in invocations if inv.event.type == INVALID_TYPE),
        key=lambda inv: inv.event.extensions["kafkaoffset"],
    )
    assert [inv.event.extensions["kafkaoffset"] for inv in invalid] == [1, 2]
    assert invalid[0].event.data == b"y" * 1000
    assert "over max_payload_bytes" in invalid[0].event.extensions[INVALID_ATTR]


async def test_a_record_nested_too_deep_is_filtered_as_read_and_reaches_the_failure_destination(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    # The hub stores such a record as a stand-in (its data as text); the trigger's filter still
    # decides on the record as read, so one it keeps is routed to on_failure, not dropped.
    (topic,) = await noida_topics.create("events")
    dead = tmp_path / "dead.jsonl"
    deep: Any = 1
    for _ in range(MAX_DATA_DEPTH + 1):
        deep = [deep]
    values = [{"kind": "order", "deep": deep}, {"kind": "other"}, {"kind": "order", "n": 2}]
    await produce_many(noida_topics.bootstrap, topic, [orjson.dumps(v) for v in values])
    funcs = {"f": fn(on_failure={"type": "file", "path": str(dead)})}
    async with make_hub(funcs) as hub, make_set(hub) as triggers:
        trigger = noida_trigger(noida_topics, topic, filter={"data.kind": "order"})
        await triggers.start({"t": trigger})
        await until(lambda: len(functions.state.events) == 1, timeout=30)
        await until(lambda: dead.exists() and len(dead.read_bytes().splitlines()) == 1, timeout=10)
        status = triggers.status()["t"]
    assert [e.data for e in functions.state.events] == [{"kind": "order", "n": 2}]
    [line] = dead.read_bytes().splitlines()
    assert (
        "nests objects and arrays more than"
        in orjson.loads(line)["response_context"]["function_error"]
    )
    assert (status["events_in"], status["events_filtered"]) == (3, 1)


async def test_batch_true_gathers_records_into_flow_batches(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events")
    await produce_many(noida_topics.bootstrap, topic, numbered(0, 50))
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": noida_trigger(noida_topics, topic, batch=True)})
        await until(lambda: sum(len(e.data) for e in functions.state.events) >= 50, timeout=30)
    numbers = [record["data"]["n"] for e in functions.state.events for record in e.data]
    assert sorted(numbers) == list(range(50))
    first = functions.state.events[0]
    assert first.type == "triggerhub.batch"
    # Each record keeps its own event, idempotency key included.
    record = first.data[0]
    assert record["type"] == "triggerhub.kafka.record"
    assert record["idempotencykey"] == f"kafka:{topic}:0:{record['kafkaoffset']}"


async def test_a_batch_size_caps_the_records_of_one_invocation(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events")
    await produce_many(noida_topics.bootstrap, topic, numbered(0, 50))
    trigger = noida_trigger(noida_topics, topic, batch={"size": 8}, ordering="partition")
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: sum(len(e.data) for e in functions.state.events) >= 50, timeout=30)
    events = functions.state.events
    # With ordering, a partition's batches run one at a time, in offset order.
    assert [record["data"]["n"] for e in events for record in e.data] == list(range(50))
    assert all(len(e.data) <= 8 for e in events) and len(events) >= 7
    assert {r["orderingkey"] for e in events for r in e.data} == {f"{topic}/0"}


async def test_the_kafka_destination_publishes_the_record(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    source, results = await noida_topics.create("events", "results")
    dest = {"type": "kafka", "bootstrap_servers": noida_topics.bootstrap, "topic": results}
    funcs = {"f": fn(on_success={**dest, "key": "orders"})}
    consumer = AIOKafkaConsumer(
        results, bootstrap_servers=noida_topics.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with make_hub(funcs) as hub, make_set(hub) as triggers:
            await triggers.start({"t": noida_trigger(noida_topics, source)})
            await produce_many(noida_topics.bootstrap, source, numbered(0, 3))
            values = await take(consumer, 3, timeout=30)
            invocations = await all_invocations(hub)
    finally:
        await consumer.stop()
    published = [orjson.loads(v) for v in values]
    assert sorted(p["request_payload"]["data"]["n"] for p in published) == [0, 1, 2]
    assert {p["request_context"]["condition"] for p in published} == {"Success"}
    assert all(inv.destination_error is None for inv in invocations)


async def test_key_ordering_runs_each_key_in_offset_order(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events", partitions=2)
    keys = [b"alpha", b"beta", b"gamma", b"delta"]
    for n, key in enumerate(keys):
        values = [orjson.dumps({"key": key.decode(), "n": i}) for i in range(40)]
        await produce_many(noida_topics.bootstrap, topic, values, partitions=1, key=key)
        del n
    funcs = {"f": fn("record_jittered", concurrency=8)}
    async with make_hub(funcs) as hub, make_set(hub) as triggers:
        await triggers.start({"t": noida_trigger(noida_topics, topic, ordering="key")})
        await until(lambda: len(functions.state.events) >= 160, timeout=60)
        await until(lambda: idle(hub), timeout=10)
    per_key: dict[str, list[int]] = {}
    for event in functions.state.events:
        per_key.setdefault(event.data["key"], []).append(event.data["n"])
    assert per_key == {key.decode(): list(range(40)) for key in keys}
    # Different keys did run side by side (the function saw more than one at once).
    assert functions.state.most_at_once > 1


async def test_a_full_backlog_pauses_the_partitions_and_loses_nothing(
    noida_topics: Topics, make_hub: MakeHub, make_set: MakeSet
) -> None:
    (topic,) = await noida_topics.create("events", partitions=3)
    await produce_many(noida_topics.bootstrap, topic, numbered(0, 600), partitions=3)
    states: set[str] = set()
    funcs = {"f": fn("record_jittered", concurrency=2)}
    async with make_hub(funcs, max_backlog=50) as hub, make_set(hub) as triggers:
        await triggers.start({"t": noida_trigger(noida_topics, topic, batch_size=50)})

        def progressed() -> bool:
            states.add(triggers.status()["t"]["state"])
            return len(functions.state.events) >= 600

        await until(progressed, timeout=90)
        await until(lambda: idle(hub), timeout=10)
    assert "paused" in states
    assert sorted(e.data["n"] for e in functions.state.events) == list(range(600))
