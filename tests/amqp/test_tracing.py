"""Tracing through RabbitMQ: a message's `traceparent` header is the parent of the invocation's
trace, and the amqp destination publishes its record with the delivery's `traceparent`."""

from __future__ import annotations

import secrets

from hub.telemetry import TelemetrySettings
from tests.amqp.broker import declare_bound_queue, message, publish, take
from tests.amqp.conftest import MakeHub, amqp_trigger, fn
from tests.amqp.helpers import executed
from tests.servers.rabbitmq import Vhost
from tests.support import MakeSet
from tests.telemetry.collector import Collector
from tests.waiting import until


async def test_a_message_traceparent_leads_to_the_published_record(
    rabbitmq_vhost: Vhost, make_hub: MakeHub, make_set: MakeSet, collector: Collector
) -> None:
    url = rabbitmq_vhost.url
    await declare_bound_queue(url, "results", "results-q", ["ok"], kind="direct")
    destination = {"type": "amqp", "url": url, "exchange": "results", "routing_key": "ok"}
    funcs = {"f": fn("record", on_success=destination)}
    trace_id, sender = secrets.token_hex(16), secrets.token_hex(8)
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    async with make_hub(funcs, telemetry=telemetry) as hub, make_set(hub) as triggers:
        await triggers.start({"orders": amqp_trigger(url, exchange="traced")})
        await until(lambda: triggers.status()["orders"]["state"] == "connected")
        headers = {"traceparent": f"00-{trace_id}-{sender}-01"}
        await publish(url, "traced", [("k", message(b'{"v": 1}', headers=headers))])
        await until(lambda: executed(1))
        [published] = await take(url, "results-q", 1)
    # The hub is closed: its spans were exported on the way out.
    await until(lambda: len(collector.named("send amqp")) == 1, timeout=10)
    [receive] = collector.named("receive orders")
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender)
    assert receive.attributes["messaging.destination.name"] == "orders"
    [attempt] = collector.named("process f")
    assert (attempt.trace_id, attempt.parent_span_id) == (trace_id, receive.span_id)
    [send] = collector.named("send amqp")
    assert (send.trace_id, send.parent_span_id) == (trace_id, attempt.span_id)
    assert send.attributes["triggerhub.destination.slot"] == "on_success"
    assert published.headers["traceparent"] == f"00-{trace_id}-{send.span_id}-01"
    assert published.headers["x-triggerhub-function"] == "f"
