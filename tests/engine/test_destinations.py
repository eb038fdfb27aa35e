"""on_success / on_failure routing to functions, HTTP endpoints and dead-letter files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub import Event, Status
from tests.engine import functions
from tests.engine.conftest import MakeHub, fn
from tests.waiting import until


def ev(data: object = None) -> Event:
    return Event(type="test.event", source="tests", data=data)


class Receiver:
    """A real HTTP endpoint that records what it is sent and can be told to fail."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.Response(status=self.status, text="receiver down")
        self.records.append(await request.json())
        self.arrived.set()
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield rec, str(server.make_url("/hook"))
    await server.close()


def assert_record_shape(record: dict[str, Any], inv_id: str, function: str, condition: str) -> None:
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    ctx = record["request_context"]
    assert ctx["request_id"] == inv_id and ctx["function"] == function
    assert ctx["condition"] == condition and ctx["approximate_invoke_count"] >= 1
    assert record["request_payload"]["type"] == "test.event"


async def test_on_success_function_destination(make_hub: MakeHub) -> None:
    fns = {
        "echo": fn("echo", on_success={"type": "function", "function": "sink"}),
        "sink": fn("sink"),
    }
    async with make_hub(fns) as hub:
        [sub] = await hub.submit("echo", [ev("hi")])
        await hub.wait(sub.id, timeout=10)
        await until(lambda: _has(2))
        page = await hub.query(_by_function("sink"))
        [follow_up] = page.items
        assert follow_up.idempotency_key == f"{sub.id}:on_success"
        await hub.wait(follow_up.id, timeout=10)
    record = functions.order[1]
    assert_record_shape(record, sub.id, "echo", "Success")
    assert record["response_payload"] == {"echo": "hi"}
    assert follow_up.event.type == "triggerhub.destination.success"


def _has(n: int) -> bool:
    return len(functions.order) >= n


def _by_function(name: str) -> Any:
    from hub.store.base import ListQuery

    return ListQuery(function=name)


async def test_on_failure_file_destination(make_hub: MakeHub, tmp_path: Path) -> None:
    dlq = tmp_path / "dead" / "letters.jsonl"
    fns = {"refuse": fn("refuse", on_failure=f"file:{dlq}")}
    async with make_hub(fns) as hub:
        subs = await hub.submit("refuse", [ev(1), ev(2), ev(3)])
        for s in subs:
            await hub.wait(s.id, timeout=10)
        await until(lambda: _lines(dlq, 3))
        inv = await hub.get(subs[0].id)
    records = [orjson.loads(line) for line in dlq.read_bytes().splitlines()]
    assert {r["request_context"]["request_id"] for r in records} == {s.id for s in subs}
    for r in records:
        assert r["request_context"]["condition"] == "NonRetryableError"
        assert r["response_context"]["function_error"] == "bad input: cannot ever succeed"
    assert inv.history[-1].status == "delivered"


def _lines(path: Path, n: int) -> bool:
    return path.exists() and len(path.read_bytes().splitlines()) >= n


async def test_on_success_http_destination(
    make_hub: MakeHub, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    async with make_hub({"echo": fn("echo", on_success=url)}) as hub:
        [sub] = await hub.submit("echo", [ev({"a": 1})])
        await hub.wait(sub.id, timeout=10)
        await asyncio.wait_for(rec.arrived.wait(), 10)
    [record] = rec.records
    assert_record_shape(record, sub.id, "echo", "Success")
    assert record["response_payload"] == {"echo": {"a": 1}}


async def test_failed_destination_is_retried_then_recorded(
    make_hub: MakeHub, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    rec.status = 503
    async with make_hub({"echo": fn("echo", on_success=url)}, destination_attempts=2) as hub:
        [sub] = await hub.submit("echo", [ev()])
        await hub.wait(sub.id, timeout=10)

        async def recorded() -> bool:
            return (await hub.get(sub.id)).destination_error is not None

        await until(recorded, timeout=15)
        inv = await hub.get(sub.id)
    assert inv.status is Status.SUCCEEDED
    assert inv.destination_error is not None
    assert inv.destination_error.startswith("on_success: RuntimeError: HTTP 503")
    assert inv.history[-1].status == "delivery_failed"
    assert rec.records == []


async def test_destination_survives_restart(
    make_hub: MakeHub, receiver: tuple[Receiver, str]
) -> None:
    """A record queued for delivery is delivered by the next daemon if this one stops first."""
    rec, url = receiver
    rec.status = 503
    async with make_hub({"echo": fn("echo", on_success=url)}) as hub:
        [sub] = await hub.submit("echo", [ev()])
        await hub.wait(sub.id, timeout=10)
    rec.status = 200
    async with make_hub({"echo": fn("echo", on_success=url)}) as hub:
        await asyncio.wait_for(rec.arrived.wait(), 15)
        inv = await hub.get(sub.id)
    assert rec.records[0]["request_context"]["request_id"] == sub.id
    assert inv.destination_error is None
