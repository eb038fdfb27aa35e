"""The amqp trigger against the real RabbitMQ of the session, with a real Hub on SQLite."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aio_pika
import orjson
import pytest
from pamqp.commands import Basic

from hub import Hub
from hub.events import INVALID_ATTR
from tests.amqp import functions
from tests.amqp.broker import (
    channel,
    declare_bound_queue,
    message,
    publish,
    publish_through_outages,
    queue_depth,
)
from tests.amqp.conftest import MakeHub, MakeSet, amqp_trigger, fn
from tests.amqp.helpers import all_invocations, executed, idle
from tests.amqp.rawpublish import publish_raw
from tests.servers.rabbitmq import Vhost
from tests.waiting import until
from triggers.amqp.parse import INVALID_TYPE, MESSAGE_TYPE
from triggers.amqp.session import Session
from triggers.amqp.source import AmqpSource

ROUTING_KEYS = [
    "order.eu.created",
    "order.us.created",
    "order.eu.deleted",
    "audit.login.ok",
    "audit",
    "misc.thing",
    "order.created",
]
BOUND = ["order.*.created", "audit.#"]
MATCHING = {"order.eu.created", "order.us.created", "audit.login.ok", "audit"}


def numbered(
    count: int, start: int = 0, keys: list[str] | None = None
) -> list[tuple[str, aio_pika.Message]]:
    keys = keys or ["k"]
    return [
        (
            keys[n % len(keys)],
            message(orjson.dumps({"n": n}), message_id=f"m{n}", content_type="application/json"),
        )
        for n in range(start, start + count)
    ]


async def drained(vhost: Vhost, queue: str) -> bool:
    return await asyncio.to_thread(queue_depth, vhost, queue) == 0


async def test_only_the_bound_routing_keys_are_invoked_exactly_once(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    total = 5000
    expected = sorted(n for n in range(total) if ROUTING_KEYS[n % len(ROUTING_KEYS)] in MATCHING)
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"orders": amqp_trigger(url, exchange="orders", binding_keys=BOUND)})
        await until(lambda: triggers.status()["orders"]["state"] == "connected")
        await publish(url, "orders", numbered(total, keys=ROUTING_KEYS))
        await until(lambda: executed(len(expected)), timeout=100)
        await until(lambda: idle(hub))
        # Every routed message was acked, and nothing else arrives late.
        assert await asyncio.to_thread(queue_depth, rabbitmq_vhost, "triggerhub.orders") == 0
        invocations = await all_invocations(hub)
        status = triggers.status()["orders"]
    assert sorted(inv.event.data["n"] for inv in invocations) == expected
    assert len(functions.state.events) == len(expected)
    event = invocations[0].event
    assert event.type == MESSAGE_TYPE
    assert (
        event.source
        == f"amqp://127.0.0.1:{rabbitmq_vhost.server.port}/{rabbitmq_vhost.name}/orders"
    )
    assert event.subject in MATCHING
    assert invocations[0].idempotency_key == f"amqp:triggerhub.orders:{event.id}"
    assert (status["events_in"], status["restarts"], status["lag"]) == (len(expected), 0, 0.0)


async def test_the_trigger_reconnects_after_a_broker_restart_and_loses_nothing(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    total = 2500
    await declare_bound_queue(url, "restarts", "restarts-in", ["#"])
    async with make_hub() as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(
            url, exchange="restarts", queue="restarts-in", prefetch=64, batch_size=16
        )
        await triggers.start({"t": trigger})
        publisher = asyncio.create_task(
            publish_through_outages(url, "restarts", numbered(total), pace=0.002)
        )
        try:
            await until(lambda: executed(300), timeout=30)
            await asyncio.to_thread(rabbitmq_vhost.server.restart)
            await until(lambda: triggers.status()["t"]["restarts"] >= 1, timeout=30)
            await asyncio.wait_for(publisher, timeout=60)
        finally:
            publisher.cancel()
        await until(lambda: executed(total), timeout=60)
        await until(lambda: idle(hub))
        assert await asyncio.to_thread(queue_depth, rabbitmq_vhost, "restarts-in") == 0
        invocations = await all_invocations(hub)
        assert triggers.status()["t"]["state"] == "connected"
    assert sorted(inv.event.data["n"] for inv in invocations) == list(range(total))
    # A message whose ack died with the broker came back and was refused by its key.
    assert len(functions.state.events) == total


@pytest.mark.parametrize(
    ("message_id", "key_from_content", "invocations_per_message"),
    [(True, False, 1), (False, True, 1), (False, False, 2)],
    ids=["message_id", "content-key", "no-key"],
)
async def test_a_redelivered_message_is_deduplicated_by_its_key(
    rabbitmq_vhost: Vhost,
    make_hub: MakeHub,
    make_set: MakeSet,
    monkeypatch: pytest.MonkeyPatch,
    message_id: bool,
    key_from_content: bool,
    invocations_per_message: int,
) -> None:
    """The ack of the first batch is lost (the connection drops after the commit): the broker
    redelivers it. With a key the store refuses the repeat; without one (documented) the
    redelivery is a second invocation, marked amqpredelivered."""
    lost = asyncio.Event()
    original = AmqpSource._ack

    async def lose_the_first_ack(self: AmqpSource, session: Session, messages: Any) -> None:
        if not lost.is_set():
            lost.set()
            await session.connection.close()
        await original(self, session, messages)

    monkeypatch.setattr(AmqpSource, "_ack", lose_the_first_ack)
    url = rabbitmq_vhost.url
    await declare_bound_queue(url, "dups", "dups-in", ["#"])
    await publish_raw(
        url,
        "dups",
        [
            ("k", orjson.dumps({"n": n}), Basic.Properties(delivery_mode=2, message_id=mid))
            for n in range(3)
            for mid in [f"id-{n}" if message_id else None]
        ],
    )
    async with make_hub() as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(
            url, exchange="dups", queue="dups-in", key_from_content=key_from_content
        )
        await triggers.start({"t": trigger})
        await until(lambda: triggers.status()["t"]["events_in"] == 6, timeout=30)
        await until(lambda: drained(rabbitmq_vhost, "dups-in"), timeout=30)
        await until(lambda: executed(3 * invocations_per_message))
        await until(lambda: idle(hub))
        invocations = await all_invocations(hub)
        assert triggers.status()["t"]["restarts"] == 1
    assert len(invocations) == 3 * invocations_per_message
    assert sorted(inv.event.data["n"] for inv in invocations) == sorted(
        list(range(3)) * invocations_per_message
    )
    redelivered = [inv for inv in invocations if inv.event.extensions.get("amqpredelivered")]
    assert len(redelivered) == (3 if invocations_per_message == 2 else 0)


async def test_the_same_message_id_published_twice_is_invoked_once(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": amqp_trigger(url, exchange="twice")})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        await publish(
            url,
            "twice",
            [
                ("a", message(b'{"v": 1}', message_id="same")),
                ("b", message(b'{"v": 2}', message_id="same")),
                ("c", message(b'{"v": 3}', message_id="last")),
            ],
        )
        await until(lambda: triggers.status()["t"]["events_in"] == 3)
        await until(lambda: executed(2))
        await until(lambda: idle(hub))
        assert await asyncio.to_thread(queue_depth, rabbitmq_vhost, "triggerhub.t") == 0
        invocations = await all_invocations(hub)
    assert sorted((inv.idempotency_key, inv.event.data["v"]) for inv in invocations) == [
        ("amqp:triggerhub.t:last", 3),
        ("amqp:triggerhub.t:same", 1),
    ]


async def test_a_quorum_queue_works(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    async with make_hub() as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(
            url,
            exchange={"name": "jobs", "type": "direct"},
            binding_keys=["run"],
            queue={"name": "jobs-q", "quorum": True, "arguments": {"x-max-length": 100_000}},
        )
        await triggers.start({"t": trigger})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        await publish(url, "jobs", numbered(500, keys=["run", "skip"]))
        await until(lambda: executed(250), timeout=60)
        await until(lambda: idle(hub))
        invocations = await all_invocations(hub)
    listing = await asyncio.to_thread(
        rabbitmq_vhost.server.ctl, "list_queues", "-p", rabbitmq_vhost.name, "name", "type"
    )
    assert "jobs-q\tquorum" in listing
    assert sorted(inv.event.data["n"] for inv in invocations) == list(range(0, 500, 2))


async def _die_holding(url: str, queue: str, times: int) -> None:
    """A consumer that takes the head message and dies without settling it, `times` times."""
    for _ in range(times):
        async with channel(url) as ch:
            q = await ch.get_queue(queue)
            await q.get(timeout=10)  # unacked; the channel closes with it


async def test_a_message_that_keeps_coming_back_blows_the_poison_fuse(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    args = {"x-queue-type": "quorum"}
    await declare_bound_queue(url, "poison", "poison-q", ["#"], arguments=args)
    await publish(url, "poison", [("p", message(b'{"poison": true}', message_id="p1"))])
    await publish(url, "poison", [("k", message(b'{"fine": true}', message_id="ok"))])
    await _die_holding(url, "poison-q", 3)
    async with make_hub() as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(
            url, exchange="poison", queue={"name": "poison-q", "quorum": True}, max_deliveries=3
        )
        await triggers.start({"t": trigger})
        # The poisoned one is never attempted: an invalid event goes straight to on_failure.
        await until(lambda: executed(1))
        await until(lambda: _two_final(hub))
        records = {inv.event.id: inv for inv in await all_invocations(hub)}
        invocations = {key: inv.event for key, inv in records.items()}
    assert records["p1"].status == "failed" and records["p1"].attempts == 0
    assert records["p1"].condition == "NonRetryableError"
    poisoned, fine = invocations["p1"], invocations["ok"]
    assert poisoned.type == INVALID_TYPE
    assert "delivered this message 3 times" in poisoned.extensions[INVALID_ATTR]
    assert poisoned.data == b'{"poison": true}'
    assert fine.type == MESSAGE_TYPE and fine.data == {"fine": True}


async def _two_final(hub: Hub) -> bool:
    return len(await all_invocations(hub)) == 2 and await idle(hub)


async def test_our_own_nacks_do_not_count_towards_the_fuse(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    """A store that refuses the batch (here: the function is not configured yet) nacks it back
    many times; on a quorum queue that raises x-delivery-count, but not the failure count."""
    url = rabbitmq_vhost.url
    async with make_hub({"other": fn()}) as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(
            url, exchange="nacks", queue={"name": "nacks-q", "quorum": True}, max_deliveries=2
        )
        await triggers.start({"t": trigger})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        await publish(url, "nacks", [("k", message(b'{"n": 1}', message_id="n1"))])
        await until(lambda: triggers.status()["t"]["events_in"] >= 5, timeout=30)
        assert "no function named 'f'" in (triggers.status()["t"]["last_error"] or "")
        hub.set_functions({"other": fn(), "f": fn()})
        await until(lambda: executed(1), timeout=30)
        await until(lambda: idle(hub))
        [inv] = await all_invocations(hub)
    assert inv.event.type == MESSAGE_TYPE
    assert inv.event.extensions["amqpheaders"]["x-delivery-count"] >= 4


async def test_malformed_and_oversized_bodies_reach_the_failure_destination(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    url = rabbitmq_vhost.url
    dead = tmp_path / "dead.jsonl"
    f = fn("refuse_invalid", on_failure={"type": "file", "path": str(dead)}, max_retry_attempts=0)
    oversized = orjson.dumps({"pad": "x" * 2000})
    async with make_hub({"f": f}) as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(url, exchange="bad", max_message_bytes=1000)
        await triggers.start({"t": trigger})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        await publish(
            url,
            "bad",
            [
                ("big", message(oversized, message_id="big", content_type="application/json")),
                (
                    "broken",
                    message(b'{"half":', message_id="broken", content_type="application/json"),
                ),
                ("good", message(b'{"ok": 1}', message_id="good")),
                ("text", message(b"plain words", message_id="text", content_type="text/plain")),
            ],
        )
        await until(lambda: dead.exists() and len(dead.read_bytes().splitlines()) == 2, timeout=30)
        await until(lambda: executed(2))
        await until(lambda: idle(hub))
        assert await asyncio.to_thread(queue_depth, rabbitmq_vhost, "triggerhub.t") == 0
    records = {
        r["request_payload"]["amqpmessageid"]: r
        for r in map(orjson.loads, dead.read_bytes().splitlines())
    }
    big, broken = records["big"], records["broken"]
    assert big["request_context"]["condition"] == "NonRetryableError"
    assert big["request_payload"]["type"] == INVALID_TYPE
    assert big["response_context"]["function_error"] == (
        f"body is {len(oversized)} bytes, over max_payload_bytes (1000); "
        "only its first 1000 bytes are kept"
    )
    assert base64.b64decode(big["request_payload"]["data_base64"]) == oversized[:1000]
    assert big["request_payload"]["amqpbodysize"] == len(oversized)
    assert "not valid JSON" in broken["response_context"]["function_error"]
    assert base64.b64decode(broken["request_payload"]["data_base64"]) == b'{"half":'
    good = {event.id: event for event in functions.state.events}
    assert good["good"].data == {"ok": 1}
    assert (good["text"].data, good["text"].datacontenttype) == (b"plain words", "text/plain")


async def test_a_headers_exchange_routes_by_header_arguments(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    async with make_hub() as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(
            url,
            exchange={"name": "by-headers", "type": "headers"},
            headers={"x-match": "any", "region": "eu", "priority": 1},
        )
        await triggers.start({"t": trigger})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        sent = [
            ("", message(b'{"n": 0}', message_id="0", headers={"region": "eu"})),
            ("", message(b'{"n": 1}', message_id="1", headers={"region": "us"})),
            ("", message(b'{"n": 2}', message_id="2", headers={"priority": 1})),
            ("", message(b'{"n": 3}', message_id="3")),
        ]
        await publish(url, "by-headers", sent)
        await until(lambda: executed(2))
        await until(lambda: idle(hub))
        assert await asyncio.to_thread(queue_depth, rabbitmq_vhost, "triggerhub.t") == 0
        invocations = await all_invocations(hub)
    assert sorted(inv.event.id for inv in invocations) == ["0", "2"]
    assert {inv.event.id: inv.event.extensions["amqpheaders"] for inv in invocations} == {
        "0": {"region": "eu"},
        "2": {"priority": 1},
    }


async def test_a_deleted_queue_and_exchange_are_declared_again(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": amqp_trigger(url, exchange="gone", binding_keys=["a.*"])})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        async with channel(url) as ch:
            await ch.queue_delete("triggerhub.t")
            await ch.exchange_delete("gone")
        # The broker cancels the consumer; the trigger reconnects and declares all three again.
        await until(lambda: triggers.status()["t"]["restarts"] == 1)
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        await publish(url, "gone", [("a.b", message(b'{"back": true}', message_id="back"))])
        await until(lambda: executed(1))
        assert "cancelled the consumer" in (triggers.status()["t"]["last_error"] or "")
    assert functions.state.events[0].data == {"back": True}


async def test_a_queue_declared_otherwise_is_reported_with_the_brokers_reason(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet
) -> None:
    url = rabbitmq_vhost.url
    async with channel(url) as ch:
        await ch.declare_queue("classic-q", durable=True)
    async with make_hub() as hub, make_set(hub) as triggers:
        trigger = amqp_trigger(url, exchange="x", queue={"name": "classic-q", "quorum": True})
        await triggers.start({"t": trigger})
        await until(lambda: "inequivalent arg" in (triggers.status()["t"]["last_error"] or ""))
        status = triggers.status()["t"]
    assert status["state"] == "reconnecting"
    assert "x-queue-type" in status["last_error"]
