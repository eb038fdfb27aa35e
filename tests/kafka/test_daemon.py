"""Real daemons consuming real brokers: crashes of the daemon, of the broker and of a group
member lose nothing. Each test prints how many records ran twice (at least once, not exactly
once, is the guarantee for a function's run)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import orjson

from tests.kafka.daemons import Member, produce_steadily, start_member, stored_keys, twice
from tests.kafka.helpers import produce_many
from tests.servers.daemon import Daemon
from tests.servers.kafka import Noida, Topics
from tests.servers.postgres import Database
from tests.waiting import until


def covered(total: int, *members: Member) -> bool:
    return len({n for member in members for n in member.sunk()}) >= total


async def test_sigkill_mid_stream_then_restart_invokes_every_record(
    noida_topics: Topics, daemon_factory: Callable[..., Daemon], tmp_path: Path
) -> None:
    (topic,) = await noida_topics.create("events", partitions=3)
    total = 6000
    values = [orjson.dumps({"n": n}) for n in range(total)]
    await produce_many(noida_topics.bootstrap, topic, values, partitions=3)
    options = {"bootstrap": noida_topics.bootstrap, "topic": topic, "group": noida_topics.name("g")}
    member = start_member(tmp_path, daemon_factory, instance="one", **options)
    await until(lambda: len(member.sunk()) >= 500, timeout=60)
    member.daemon.kill()
    at_kill = len(set(member.sunk()))
    assert at_kill < total, "the crash must come in the middle of the stream"

    member.daemon.start()
    await until(lambda: covered(total, member), timeout=90)
    assert member.daemon.terminate() == 0
    assert sorted(set(member.sunk())) == list(range(total))
    keys = await stored_keys(tmp_path)
    # The store deduplicated what the restarted consumer read again: one invocation each.
    assert len(keys) == len(set(keys)) == total
    print(f"\nSIGKILL at {at_kill}/{total} records: {twice(member)} ran twice")


async def test_a_broker_restart_mid_stream_loses_nothing(
    noida_server: Noida,
    noida_topics: Topics,
    daemon_factory: Callable[..., Daemon],
    tmp_path: Path,
) -> None:
    (topic,) = await noida_topics.create("events", partitions=3)
    options = {"bootstrap": noida_topics.bootstrap, "topic": topic, "group": noida_topics.name("g")}
    member = start_member(tmp_path, daemon_factory, instance="one", **options)
    await produce_steadily(noida_topics.bootstrap, topic, 0, 600, partitions=3, per_second=1000)
    await until(lambda: covered(600, member), timeout=60)
    for partition in range(3):
        await asyncio.to_thread(noida_server.wait_persisted, topic, 200, partition)
    await asyncio.to_thread(noida_server.restart)
    await produce_steadily(noida_topics.bootstrap, topic, 600, 1200, partitions=3, per_second=500)
    await until(lambda: covered(1200, member), timeout=120)
    assert member.daemon.terminate() == 0
    assert sorted(set(member.sunk())) == list(range(1200))
    print(f"\nbroker restart: {twice(member)} of 1200 ran twice")


async def test_a_group_member_killed_hands_its_partitions_to_the_other(
    tansu_topics: Topics,
    postgres_database: Database,
    daemon_factory: Callable[..., Daemon],
    tmp_path: Path,
) -> None:
    """Two daemons share one PostgreSQL store (the multi-daemon setup): what the dead one had
    queued but not run is leased by the survivor once its lease runs out."""
    (topic,) = await tansu_topics.create("events", partitions=3)
    options = {
        "bootstrap": tansu_topics.bootstrap,
        "topic": topic,
        "group": tansu_topics.name("g"),
        "store": postgres_database.url,
    }
    first = start_member(tmp_path / "a", daemon_factory, **options)
    second = start_member(tmp_path / "b", daemon_factory, **options)
    total = 3000
    producing = asyncio.create_task(
        produce_steadily(tansu_topics.bootstrap, topic, 0, total, partitions=3, per_second=150)
    )
    try:
        # Both members own partitions once both have invoked something.
        await until(lambda: bool(first.sunk()) and bool(second.sunk()), timeout=60)
        second.daemon.kill()
        killed_had = len(second.sunk())
        await until(lambda: covered(total, first, second), timeout=120)
        await producing
    finally:
        producing.cancel()
    assert first.daemon.terminate() == 0
    assert sorted({n for m in (first, second) for n in m.sunk()}) == list(range(total))
    taken_over = len(set(first.sunk()) - set(second.sunk()))
    print(
        f"\nmember killed after {killed_had} records; survivor ran {taken_over}; "
        f"{twice(first, second)} of {total} ran twice"
    )
