from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.telemetry.collector import Collector, start_collector


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    collector, runner = await start_collector()
    try:
        yield collector
    finally:
        await runner.cleanup()
