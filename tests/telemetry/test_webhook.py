"""A webhook request's `traceparent` header parents the trace of the invocations its events
become, through intake's path and the trigger's name."""

from __future__ import annotations

import secrets
from pathlib import Path

import aiohttp

from hub import Hub
from hub.api import ApiServer, create_app
from hub.intake import TriggerSet
from hub.plugins import Registry
from hub.store.base import ListQuery
from hub.telemetry import TelemetrySettings
from tests.api.conftest import AUTH, FUNCTIONS, MAX_BODY, TOKEN, hub_settings
from tests.api.test_webhooks import PUSH, TRIGGERS
from tests.support import FAST
from tests.telemetry.collector import Collector
from tests.waiting import until


async def test_the_webhook_request_traceparent_parents_the_receive_span(
    tmp_path: Path, collector: Collector
) -> None:
    registry = Registry()
    registry.register(PUSH)
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    settings = hub_settings(tmp_path).model_copy(update={"telemetry": telemetry})
    trace_id, sender = secrets.token_hex(16), secrets.token_hex(8)
    async with Hub(settings, FUNCTIONS) as hub:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        await triggers.start(TRIGGERS)
        await until(lambda: triggers.status()["pushes"]["state"] == "connected")
        app = create_app(hub, token=TOKEN, max_body_bytes=MAX_BODY, trigger_config=TRIGGERS.get)
        server = ApiServer(app)
        await server.start("127.0.0.1", 0)
        try:
            headers = {**AUTH, "traceparent": f"00-{trace_id}-{sender}-01"}
            async with (
                aiohttp.ClientSession(server.url, headers=headers) as session,
                session.post("/v1/hooks/testpush/pushes", json={"items": ["keep-1"]}) as resp,
            ):
                assert resp.status == 200, await resp.text()
            [inv] = (await hub.query(ListQuery(function="echo"))).items
            await hub.wait(inv.id, timeout=30)
        finally:
            await server.stop()
            await triggers.stop()
    await until(lambda: len(collector.named("process echo")) == 1, timeout=10)
    [receive] = collector.named("receive pushes")
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender)
    assert receive.attributes["messaging.destination.name"] == "pushes"
    [attempt] = collector.named("process echo")
    assert (attempt.trace_id, attempt.parent_span_id) == (trace_id, receive.span_id)
    assert inv.event.extensions["traceparent"] == f"00-{trace_id}-{receive.span_id}-01"
