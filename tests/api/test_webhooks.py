"""The generic push route `/v1/hooks/{kind}/{trigger}` with a webhook kind registered here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub import Event, Hub
from hub.api import ApiServer, create_app
from hub.config.triggers import TriggerConfig
from hub.plugins.webhooks import register_webhook
from hub.store.base import ListQuery
from tests.api.conftest import AUTH, FUNCTIONS, MAX_BODY, TOKEN, hub_settings


def parse_lines(body: bytes, _headers: Mapping[str, str], _config: Any, name: str) -> list[Event]:
    try:
        items = json.loads(body)["items"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"expected {{'items': [...]}}: {exc}") from None
    return [
        Event(
            type="test.pushed",
            source=f"test/{name}",
            subject=str(i),
            data=item,
            idempotency_key=f"{name}:{item}",
        )
        for i, item in enumerate(items)
    ]


register_webhook("testpush", "testpush", parse_lines)
TRIGGERS = {
    "pushes": TriggerConfig.model_validate(
        {"type": "testpush", "function": ["echo"], "filter": {"data": {"prefix": "keep"}}}
    ),
    "off": TriggerConfig.model_validate({"type": "testpush", "function": "echo", "enabled": False}),
}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[aiohttp.ClientSession, Hub]]:
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        app = create_app(hub, token=TOKEN, max_body_bytes=MAX_BODY, trigger_config=TRIGGERS.get)
        server = ApiServer(app)
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(server.url, headers=AUTH) as session:
                yield session, hub
        finally:
            await server.stop()


async def test_pushed_events_are_filtered_and_durably_queued(
    client: tuple[aiohttp.ClientSession, Hub],
) -> None:
    session, hub = client
    body = {"items": ["keep-1", "drop-2", "keep-3"]}
    async with session.post("/v1/hooks/testpush/pushes", json=body) as resp:
        assert resp.status == 200
        result = await resp.json()
    assert result["received"] == 3 and result["filtered"] == 1
    assert len(result["invocations"]) == 2
    for inv_id in result["invocations"]:
        inv = await hub.wait(inv_id, timeout=10)
        assert inv.status == "succeeded" and inv.event.type == "test.pushed"
    # A resend (the sender retrying) is deduplicated by the idempotency keys.
    async with session.post("/v1/hooks/testpush/pushes", json=body) as resp:
        assert (await resp.json())["invocations"] == result["invocations"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v1/hooks/nokind/pushes", 404, "no webhook kind 'nokind'"),
        ("/v1/hooks/testpush/absent", 404, "no enabled testpush trigger named 'absent'"),
        ("/v1/hooks/testpush/off", 404, "no enabled testpush trigger named 'off'"),
    ],
)
async def test_unknown_kind_or_trigger(
    client: tuple[aiohttp.ClientSession, Hub], path: str, status: int, message: str
) -> None:
    session, _ = client
    async with session.post(path, json={"items": []}) as resp:
        assert resp.status == status
        assert (await resp.json())["error"] == message


async def test_a_bad_body_is_a_400_naming_the_problem(
    client: tuple[aiohttp.ClientSession, Hub],
) -> None:
    session, _ = client
    async with session.post("/v1/hooks/testpush/pushes", json={"nope": 1}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"].startswith("not a valid testpush notification")


async def test_an_event_the_hub_could_never_store_refuses_the_whole_body(
    client: tuple[aiohttp.ClientSession, Hub],
) -> None:
    session, hub = client
    # The second item is filtered out, yet refuses the body: what is taken must not depend on
    # the filter. Nested 300 deep, JSON readers take it and the store's writer does not.
    body = b'{"items": ["keep-1", ' + b"[" * 300 + b'"drop"' + b"]" * 300 + b"]}"
    async with session.post(
        "/v1/hooks/testpush/pushes", data=body, headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == (
            "not a valid testpush notification: event 2 of 2 (subject '1'): the event data "
            "nests objects and arrays more than 128 levels deep"
        )
    assert (await hub.query(ListQuery(function="echo"))).items == []
