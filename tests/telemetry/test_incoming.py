"""Only a W3C trace context is taken from a sender: a `traceparent` with anything after its
four fields (version 00), or a `tracestate` that is not one, is neither a parent nor stored."""

from __future__ import annotations

import secrets
from pathlib import Path

import aiohttp

from hub import Hub
from hub.api import ApiServer, create_app
from hub.invocation import Invocation
from hub.telemetry import TelemetrySettings
from tests.api.conftest import AUTH, FUNCTIONS, MAX_BODY, TOKEN, hub_settings
from tests.telemetry.collector import Collector, ReceivedSpan
from tests.waiting import until

# A binary-mode event whose own extension is not a valid version-00 value.
BOGUS_EXTENSION = {
    "ce-id": "e1",
    "ce-source": "/test",
    "ce-type": "t",
    "ce-specversion": "1.0",
    "ce-traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01-and-more",
}


async def _invoke_traced(
    tmp_path: Path, collector: Collector, headers: dict[str, str]
) -> tuple[Invocation, ReceivedSpan]:
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    settings = hub_settings(tmp_path).model_copy(update={"telemetry": telemetry})
    async with Hub(settings, FUNCTIONS) as hub:
        server = ApiServer(create_app(hub, token=TOKEN, max_body_bytes=MAX_BODY))
        await server.start("127.0.0.1", 0)
        try:
            async with (
                aiohttp.ClientSession(server.url, headers={**AUTH, **headers}) as session,
                session.post("/v1/functions/echo/invocations", json={"n": 1}) as resp,
            ):
                assert resp.status == 202, await resp.text()
                accepted = await resp.json()
            inv = await hub.wait(accepted["id"], timeout=30)
        finally:
            await server.stop()
    await until(lambda: len(collector.named("process echo")) == 1, timeout=10)
    [receive] = collector.named("receive api")
    return inv, receive


async def test_an_extension_with_trailing_data_gives_way_to_the_valid_header(
    tmp_path: Path, collector: Collector
) -> None:
    trace_id, sender = secrets.token_hex(16), secrets.token_hex(8)
    headers = {"traceparent": f"00-{trace_id}-{sender}-01", **BOGUS_EXTENSION}
    inv, receive = await _invoke_traced(tmp_path, collector, headers)
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender)
    assert inv.event.extensions["traceparent"] == f"00-{trace_id}-{receive.span_id}-01"


async def test_a_tracestate_that_is_not_one_is_not_stored(
    tmp_path: Path, collector: Collector
) -> None:
    trace_id, sender = secrets.token_hex(16), secrets.token_hex(8)
    headers = {
        "traceparent": f"00-{trace_id}-{sender}-01",
        "tracestate": "Not a tracestate;" + "x" * 600,
    }
    inv, receive = await _invoke_traced(tmp_path, collector, headers)
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender)
    assert "tracestate" not in inv.event.extensions
