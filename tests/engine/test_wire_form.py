"""An event is written as JSON once, when the hub takes it, and travels as those bytes: http
and command targets and destination records never rebuild it from the stored JSON."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub import Event, Status
from hub.config.functions import FunctionConfig
from tests.engine.conftest import FAST, MakeHub
from tests.waiting import until

# Writes its stdin back: the command target's response is then exactly what it was sent.
ECHO = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes | str]:
    """Every stored event parsed back into an Event while the test runs."""
    seen: list[bytes | str] = []
    original: Callable[[bytes | str], Event] = Event.from_json

    def counted(raw: bytes | str) -> Event:
        seen.append(raw)
        return original(raw)

    monkeypatch.setattr(Event, "from_json", staticmethod(counted))
    return seen


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[list[tuple[dict[str, str], bytes]], str]]:
    received: list[tuple[dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/fn", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield received, str(server.make_url("/fn"))
    await server.close()


def function(target: dict[str, Any], **settings: Any) -> FunctionConfig:
    return FunctionConfig.model_validate({"target": target, "retry_backoff": FAST, **settings})


def event() -> Event:
    return Event(
        type="com.example.made",
        source="/orders",
        subject="o-1",
        data={"order": 7, "lines": [{"sku": "a", "n": 2}], "note": "caf\u00e9"},
        extensions={"region": "eu", "tries": 3, "urgent": True},
        idempotency_key="order-7",
        ordering_key="customer-1",
    )


async def test_an_http_target_is_sent_the_stored_event_without_parsing_it(
    make_hub: MakeHub,
    endpoint: tuple[list[tuple[dict[str, str], bytes]], str],
    parses: list[bytes | str],
) -> None:
    received, url = endpoint
    sent = event()
    async with make_hub({"h": function({"type": "http", "url": url})}) as hub:
        [sub] = await hub.submit("h", [sent])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED, inv.last_error
    [(headers, body)] = received
    assert orjson.loads(body) == sent.data
    assert headers["ce-id"] == sent.id and headers["ce-region"] == "eu"
    assert headers["ce-tries"] == "3" and headers["ce-urgent"] == "true"
    assert headers["ce-orderingkey"] == "customer-1"
    assert parses == []


async def test_a_command_target_reads_the_stored_bytes_and_a_record_carries_them(
    make_hub: MakeHub, tmp_path: Path, parses: list[bytes | str]
) -> None:
    records = tmp_path / "records.jsonl"
    config = function({"type": "command", "argv": ECHO}, on_success=f"file:{records}")
    async with make_hub({"c": config}) as hub:
        [sub] = await hub.submit("c", [event()])
        inv = await hub.wait(sub.id, timeout=10)
        stored = orjson.loads(inv.event_json)
        assert inv.status is Status.SUCCEEDED, inv.last_error
        assert inv.response == stored  # stdin was the stored JSON itself

        async def delivered() -> bool:
            return records.exists() and records.read_bytes().endswith(b"\n")

        await until(delivered, timeout=10)
    [line] = records.read_bytes().splitlines()
    record = orjson.loads(line)
    assert record["request_payload"] == stored
    assert record["response_payload"] == stored
    assert parses == []
