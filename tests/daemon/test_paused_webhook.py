"""A paused webhook trigger of a real daemon: its senders are asked to come back (503 with
Retry-After), not told it does not exist, so they keep what they would send; resumed, it takes
their events again."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon.control_support import Client, Site
from tests.servers.daemon import Daemon
from tests.waiting import until

pytestmark = pytest.mark.timeout(120)
NOTIFICATION: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "object_storage" / "fixtures" / "minio-put.json").read_text()
)
TRIGGERS = """\
uploads:
  type: object_storage
  function: record
"""
HOOK = "/v1/hooks/object-storage/uploads"


def upload(name: str) -> bytes:
    """A MinIO notification of a new object `name`: each name is an event of its own."""
    body = copy.deepcopy(NOTIFICATION)
    body["Records"][0]["s3"]["object"] |= {"key": name, "sequencer": name.encode().hex()}
    return json.dumps(body).encode()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def push(session: aiohttp.ClientSession, daemon: Daemon, name: str) -> aiohttp.ClientResponse:
    async with session.post(f"{daemon.url}{HOOK}", data=upload(name)) as resp:
        await resp.read()
        return resp


async def test_a_paused_webhook_trigger_asks_the_sender_to_retry_and_takes_it_after_resume(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], session: aiohttp.ClientSession
) -> None:
    site = Site(tmp_path, f"sqlite:///{tmp_path}/hub.db", daemon_factory)
    daemon = site.daemon(triggers=TRIGGERS)
    api = Client(session, daemon.url)
    await until(lambda: _state(api, "connected"), timeout=20)
    assert (await push(session, daemon, "before")).status == 200

    await api.call("POST", "/v1/triggers/uploads/pause")
    refused = await push(session, daemon, "while-paused")
    assert refused.status == 503
    assert refused.headers["Retry-After"] == "10"
    error = json.loads(await refused.text())["error"]
    assert "'uploads'" in error and "paused" in error, error

    # The pause is stored: a restarted daemon refuses the same way.
    daemon.restart()
    api = Client(session, daemon.url)
    assert (await api.trigger("uploads"))["state"] == "paused"
    assert (await push(session, daemon, "while-paused")).status == 503

    # A trigger that is not configured stays a 404.
    async with session.post(f"{daemon.url}/v1/hooks/object-storage/nope", data=upload("x")) as r:
        assert r.status == 404

    await api.call("POST", "/v1/triggers/uploads/resume")
    # Retried as the sender would, until taken: never a 404 on the way.
    answers: list[int] = []

    async def taken() -> bool:
        answers.append((await push(session, daemon, "while-paused")).status)
        return answers[-1] == 200

    await until(taken, timeout=20)
    assert set(answers) <= {200, 503}, answers
    page = await api.call("GET", "/v1/invocations", params={"function": "record"})
    assert sorted(item["event"]["subject"] for item in page["items"]) == [
        "before",
        "while-paused",
    ]
    await until(lambda: sum(site.runs("record").values()) == 2, timeout=20)


async def _state(api: Client, wanted: str) -> bool:
    return bool((await api.trigger("uploads"))["state"] == wanted)
