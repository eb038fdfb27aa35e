"""`POST /v1/hooks/object-storage/<trigger>` with the documented MinIO and OBS bodies: the same
events as the SQS path, filtered by the trigger's options, deduplicated on a resend."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub import Hub
from hub.api import ApiServer, create_app
from hub.config.settings import HubSettings, StoreSettings
from hub.store.base import ListQuery
from tests.object_storage.conftest import fixture_bytes, fixture_json, fn, trigger
from tests.support import MakeSet
from tests.waiting import until
from triggers.object_storage import ObjectStorageConfig

TRIGGERS: dict[str, ObjectStorageConfig] = {
    "minio": trigger(),
    "obs": trigger(prefix="TEST/", events=["s3:ObjectCreated:*"]),
    "pngs": trigger(suffix=".png"),
}


@pytest.fixture
async def session(
    tmp_path: Path, make_set: MakeSet
) -> AsyncIterator[tuple[aiohttp.ClientSession, Hub]]:
    settings = HubSettings(store=StoreSettings(url=f"sqlite:///{tmp_path}/hub.db"))
    async with Hub(settings, {"f": fn()}) as hub, make_set(hub) as triggers:
        # Webhook-only triggers: the runtime reads what the route pushes to their inboxes.
        await triggers.start(TRIGGERS)
        await until(lambda: all(s["state"] == "connected" for s in triggers.status().values()))
        app = create_app(hub, token=None, max_body_bytes=1 << 20, trigger_config=TRIGGERS.get)
        server = ApiServer(app)
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(server.url) as client:
                yield client, hub
        finally:
            await server.stop()


async def post(client: aiohttp.ClientSession, trigger: str, body: bytes) -> tuple[int, Any]:
    async with client.post(
        f"/v1/hooks/object-storage/{trigger}",
        data=body,
        headers={"Content-Type": "application/json"},
    ) as resp:
        return resp.status, await resp.json()


async def test_a_minio_notification_becomes_one_invocation(
    session: tuple[aiohttp.ClientSession, Hub],
) -> None:
    client, hub = session
    status, result = await post(client, "minio", fixture_bytes("minio-put.json"))
    assert (status, result["received"], len(result["invocations"])) == (200, 1, 1)
    inv = await hub.wait(result["invocations"][0], timeout=10)
    assert inv.status == "succeeded"
    event = inv.event
    assert (event.type, event.source, event.subject) == (
        "triggerhub.object.created",
        "s3://images",
        "photos/2024/my photo.jpg",
    )
    assert inv.idempotency_key == "s3:images:photos/2024/my photo.jpg:1:15CFEDF8D5304D1A"
    # MinIO retries an unanswered post: the resend is the same invocation.
    again = await post(client, "minio", fixture_bytes("minio-put.json"))
    assert again[1]["invocations"] == result["invocations"]
    status, removed = await post(client, "minio", fixture_bytes("minio-delete.json"))
    assert status == 200 and len(removed["invocations"]) == 1
    assert (await hub.get(removed["invocations"][0])).event.type == "triggerhub.object.removed"


@pytest.mark.parametrize("fixture", ["obs-put.json", "obs-via-smn.json"])
async def test_an_obs_notification_direct_or_through_smn(
    session: tuple[aiohttp.ClientSession, Hub], fixture: str
) -> None:
    client, hub = session
    status, result = await post(client, "obs", fixture_bytes(fixture))
    assert (status, len(result["invocations"])) == (200, 1)
    event = (await hub.get(result["invocations"][0])).event
    assert (event.source, event.subject, event.data["region"]) == (
        "obs://examplebucket",
        "TEST/中 文.jpg",
        "cn-north-4",
    )


async def test_records_the_trigger_does_not_want_are_not_invoked(
    session: tuple[aiohttp.ClientSession, Hub],
) -> None:
    client, _ = session
    status, result = await post(client, "pngs", fixture_bytes("minio-put.json"))  # a .jpg
    assert (status, result["received"], result["invocations"]) == (200, 0, [])


async def test_control_messages_are_answered_without_invocations(
    session: tuple[aiohttp.ClientSession, Hub],
) -> None:
    client, _ = session
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "images"}
    status, result = await post(client, "minio", json.dumps(test_event).encode())
    assert (status, result["invocations"]) == (200, [])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<xml/>", "the body is not JSON"),
        (b'{"Records": [{"eventName": "ObjectCreated:Put"}]}', "Records[0] has no 's3'"),
    ],
)
async def test_a_body_that_is_not_a_notification_is_a_400_with_the_reason(
    session: tuple[aiohttp.ClientSession, Hub], body: bytes, reason: str
) -> None:
    client, _ = session
    status, result = await post(client, "minio", body)
    assert status == 400
    assert result["error"].startswith("not a valid object-storage notification: ")
    assert reason in result["error"]


DEEP = "deep-placeholder"


def with_second_record(**changes: Any) -> bytes:
    """The MinIO notification with a second record, a copy of the first with `changes` to its
    `s3.object`; the placeholder DEEP becomes JSON nested 300 arrays deep."""
    body = fixture_json("minio-put.json")
    [first] = body["Records"]
    second = json.loads(json.dumps(first))
    second["s3"]["object"] = {**second["s3"]["object"], "key": "other.jpg", **changes}
    body["Records"].append(second)
    return json.dumps(body).encode().replace(f'"{DEEP}"'.encode(), b"[" * 300 + b"1" + b"]" * 300)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # JSON readers take it, JSON writers (the store's) do not: was a 500.
        (with_second_record(userMetadata=DEEP), "more than 128 levels deep"),
        # A size sent as text and beyond 64 bits: read as an integer no writer takes (a 500).
        (with_second_record(size="1" * 30), "cannot be written as JSON"),
    ],
)
async def test_a_record_the_hub_could_never_store_refuses_the_body_with_the_reason(
    session: tuple[aiohttp.ClientSession, Hub], body: bytes, reason: str
) -> None:
    client, hub = session
    status, result = await post(client, "minio", body)
    assert status == 400, result
    assert result["error"].startswith(
        "not a valid object-storage notification: event 2 of 2 (subject 'other.jpg'): "
    )
    assert reason in result["error"]
    # Refused whole: the sender keeps the notification, the hub queued none of it.
    assert (await hub.query(ListQuery(function="f"))).items == []
