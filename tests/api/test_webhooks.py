"""The push route `/v1/hooks/{kind}/{trigger}` with a webhook kind registered here, feeding a
trigger run by the real intake (backpressure, filter, status counters, ack after the commit)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pytest

from hub import Event, Hub
from hub.api import ApiServer, create_app, routes_webhooks
from hub.config.triggers import TriggerConfig
from hub.intake import TriggerSet
from hub.intake.inbox import InboxSource
from hub.plugins import Registry, SourceContext, TriggerKind
from hub.plugins.webhooks import WebhookKind, register_webhook
from hub.store.base import ListQuery
from tests.api.conftest import AUTH, FUNCTIONS, MAX_BODY, TOKEN, hub_settings
from tests.support import FAST
from tests.waiting import until


class PushConfig(TriggerConfig):
    type: Literal["testpush"] = "testpush"


def build(config: PushConfig, context: SourceContext) -> InboxSource:
    return InboxSource("testpush", context.trigger, config)


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


register_webhook(WebhookKind("testpush", PushConfig, "tests.api.test_webhooks:parse_lines"))
PUSH = TriggerKind("testpush", PushConfig, "tests.api.test_webhooks:build")
TRIGGERS = {
    "pushes": PushConfig.model_validate(
        {"function": ["echo"], "filter": {"data": {"prefix": "keep"}}}
    ),
    "off": PushConfig.model_validate({"function": "echo", "enabled": False}),
}
Client = tuple[aiohttp.ClientSession, Hub, TriggerSet]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    registry = Registry()
    registry.register(PUSH)
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        await triggers.start(TRIGGERS)
        await until(lambda: triggers.status()["pushes"]["state"] == "connected")
        app = create_app(hub, token=TOKEN, max_body_bytes=MAX_BODY, trigger_config=TRIGGERS.get)
        server = ApiServer(app)
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(server.url, headers=AUTH) as session:
                yield session, hub, triggers
        finally:
            await server.stop()
            await triggers.stop()


async def test_pushed_events_are_filtered_and_durably_queued(client: Client) -> None:
    session, hub, triggers = client
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
    # Counted like any trigger's events: they came in through the trigger's intake.
    status = triggers.status()["pushes"]
    assert (status["events_in"], status["events_filtered"]) == (6, 2)


async def test_a_full_backlog_holds_pushed_events_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Answered 503 within a second instead of the 25 s the Kubernetes API server waits.
    monkeypatch.setattr(routes_webhooks, "ANSWER_WITHIN", 1.0)
    registry = Registry()
    registry.register(PUSH)
    # The function's URL refuses connections: its invocation stays in the backlog, retrying.
    held = {"held": PushConfig.model_validate({"function": "webhook"})}
    settings = hub_settings(tmp_path).model_copy(update={"max_backlog": 1})
    async with Hub(settings, FUNCTIONS) as hub:
        triggers = TriggerSet(hub, registry, reconnect=FAST, backlog_refresh=0.02)
        await triggers.start(held)
        server = ApiServer(create_app(hub, token=TOKEN, max_body_bytes=MAX_BODY))
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(server.url, headers=AUTH) as session:
                await until(lambda: triggers.status()["held"]["state"] == "connected")
                async with session.post("/v1/hooks/testpush/held", json={"items": [1]}) as resp:
                    assert resp.status == 200
                await until(lambda: triggers.status()["held"]["state"] == "paused")
                # The trigger reads no more while the backlog is full: the sender is told to
                # come back, and nothing past the limit is queued.
                async with session.post("/v1/hooks/testpush/held", json={"items": [2]}) as resp:
                    assert resp.status == 503
                    assert resp.headers["Retry-After"] == "1"
                    assert "not queued in time" in (await resp.json())["error"]
            assert len((await hub.query(ListQuery(function="webhook"))).items) == 1
        finally:
            await server.stop()
            await triggers.stop()


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v1/hooks/nokind/pushes", 404, "no webhook kind 'nokind'"),
        ("/v1/hooks/testpush/absent", 404, "no testpush trigger named 'absent' is running"),
        ("/v1/hooks/testpush/off", 404, "no testpush trigger named 'off' is running"),
    ],
)
async def test_unknown_kind_or_trigger(
    client: Client, path: str, status: int, message: str
) -> None:
    session, _, _ = client
    async with session.post(path, json={"items": []}) as resp:
        assert resp.status == status
        assert (await resp.json())["error"] == message


async def test_a_bad_body_is_a_400_naming_the_problem(client: Client) -> None:
    session, _, _ = client
    async with session.post("/v1/hooks/testpush/pushes", json={"nope": 1}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"].startswith("not a valid testpush notification")


async def test_an_event_the_hub_could_never_store_refuses_the_whole_body(client: Client) -> None:
    session, hub, _ = client
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
