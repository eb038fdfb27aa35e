"""A stop with spans buffered and a collector that takes connections but never answers is
held for a bounded time, not for the export timeout once per buffered batch."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.telemetry import TelemetrySettings
from hub.telemetry.tracing import EXPORT_TIMEOUT, Telemetry

SPANS = 2000  # four of the batch processor's batches of 512


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # reads the request, never answers, until the hub hangs up
    writer.close()


@pytest.mark.timeout(60)
async def test_a_stop_waits_at_most_twice_the_export_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")  # all of them still buffered
    server = await asyncio.start_server(_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        telemetry = Telemetry(TelemetrySettings(otlp_endpoint=f"http://127.0.0.1:{port}"))
        for n in range(SPANS):
            telemetry.tracer.start_span(f"span {n}").end()
        started = time.monotonic()
        await telemetry.shutdown()
        took = time.monotonic() - started
    finally:
        server.close()
    assert EXPORT_TIMEOUT * 0.9 <= took <= 2 * EXPORT_TIMEOUT + 1, took
