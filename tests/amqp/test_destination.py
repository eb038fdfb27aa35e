"""The amqp destination against the real RabbitMQ: records published persistent, confirmed, and
consumed back from a bound queue in the Lambda shape."""

from __future__ import annotations

import aio_pika
import orjson

from hub import Event, Hub
from tests.amqp.broker import channel, declare_bound_queue, take
from tests.amqp.conftest import MakeHub, fn
from tests.servers.rabbitmq import Vhost
from tests.waiting import until


def dest(url: str, exchange: str, routing_key: str) -> dict[str, str]:
    return {"type": "amqp", "url": url, "exchange": exchange, "routing_key": routing_key}


async def test_success_and_failure_records_round_trip(
    rabbitmq_vhost: Vhost, make_hub: MakeHub
) -> None:
    url = rabbitmq_vhost.url
    await declare_bound_queue(url, "results", "results-q", ["ok", "failed"], kind="direct")
    funcs = {
        "good": fn("record", on_success=dest(url, "results", "ok")),
        "bad": fn("fail", on_failure=dest(url, "results", "failed"), max_retry_attempts=0),
    }
    async with make_hub(funcs) as hub:
        [ok] = await hub.submit("good", [Event(type="t.ok", source="/test", data={"n": 1})])
        [bad] = await hub.submit("bad", [Event(type="t.bad", source="/test", data={"n": 2})])
        received = {m.routing_key: m for m in await take(url, "results-q", 2)}
        await until(lambda: _noted(hub, ok.id, bad.id))
        notes = [t.detail or "" for t in (await hub.get(ok.id)).history]

    success, failure = received["ok"], received["failed"]
    assert success.content_type == "application/json"
    assert success.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert (success.message_id, success.type) == (
        f"{ok.id}:on_success",
        "triggerhub.destination.success",
    )
    assert success.headers == {"x-triggerhub-function": "good"}
    record = orjson.loads(success.body)
    assert record["request_context"] == {
        "request_id": ok.id,
        "function": "good",
        "condition": "Success",
        "approximate_invoke_count": 1,
    }
    assert record["request_payload"]["data"] == {"n": 1}
    assert record["response_payload"] == {"seen": record["request_payload"]["id"]}
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")

    assert failure.message_id == f"{bad.id}:on_failure"
    assert failure.type == "triggerhub.destination.failure"
    failed = orjson.loads(failure.body)
    assert failed["request_context"]["condition"] == "NonRetryableError"
    assert failed["response_context"] == {"function_error": "refused on purpose"}
    assert failed["request_payload"]["type"] == "t.bad"

    [note] = [n for n in notes if "amqp" in n]
    assert "guest:***@" in note and "guest:guest" not in note


async def _noted(hub: Hub, *invocation_ids: str) -> bool:
    """Each invocation's history notes its delivery."""
    for invocation_id in invocation_ids:
        inv = await hub.get(invocation_id)
        if not any("amqp" in (t.detail or "") for t in inv.history):
            return False
    return True


async def test_an_unroutable_or_missing_exchange_fails_the_delivery_and_recovers(
    rabbitmq_vhost: Vhost, make_hub: MakeHub
) -> None:
    url = rabbitmq_vhost.url
    async with channel(url) as ch:
        await ch.declare_exchange("nobody-bound", "direct", durable=True)
    await declare_bound_queue(url, "fine", "fine-q", ["k"], kind="direct")
    funcs = {
        "unroutable": fn(on_success=dest(url, "nobody-bound", "k")),
        "missing": fn(on_success=dest(url, "no-such-exchange", "k")),
        "fine": fn(on_success=dest(url, "fine", "k")),
    }
    async with make_hub(funcs, destination_attempts=1) as hub:
        [unroutable] = await hub.submit("unroutable", [Event(type="t", source="/s")])
        [missing] = await hub.submit("missing", [Event(type="t", source="/s")])
        await until(lambda: _gave_up(hub, unroutable.id, missing.id))
        # The channel the missing exchange closed is replaced: the next record goes through.
        [fine] = await hub.submit("fine", [Event(type="t", source="/s")])
        [received] = await take(url, "fine-q", 1)
        errors = [(await hub.get(i.id)).destination_error or "" for i in (unroutable, missing)]
    assert received.message_id == f"{fine.id}:on_success"
    assert "AMQP publish failed" in errors[0] and "NO_ROUTE" in errors[0]
    assert "AMQP publish failed" in errors[1] and "no-such-exchange" in errors[1]
    assert all("guest:guest" not in error for error in errors)


async def _gave_up(hub: Hub, *invocation_ids: str) -> bool:
    for invocation_id in invocation_ids:
        if (await hub.get(invocation_id)).destination_error is None:
            return False
    return True
