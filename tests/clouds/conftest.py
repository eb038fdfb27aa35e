"""A real daemon speaking the clouds' APIs, and the vendors' own SDKs pointed at it."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

ACCESS_KEY = "AKIDTRIGGERHUBTEST"
SECRET = "cloud-secret-for-the-tests"
TOKEN = "api-token-for-the-tests"
PROJECT = "0123456789abcdef0123456789abcdef"
MAX_BODY = 4096

HANDLERS = '''
import asyncio
from hub import NonRetryableError


async def echo(event):
    """The data and the extension attributes the function received."""
    data = event.data
    if isinstance(data, bytes):
        data = data.decode()
    return {"data": data, "extensions": event.extensions}


async def slow(event):
    await asyncio.sleep(120)


async def fail(event):
    raise NonRetryableError("refused on purpose")
'''

CONFIG = """
hub:
  store:
    url: sqlite:///{tmp}/hub.db
  api:
    listen: 127.0.0.1:{port}
    token_env: CLOUDS_TEST_TOKEN
    max_body_bytes: {max_body}
    access_keys:
      - id: {key}
        secret_env: CLOUDS_TEST_SECRET
functions:
  echo:
    target: {{type: python, handler: "handlers:echo"}}
    max_retry_attempts: 1
    max_event_age: 1h
    on_failure: {{type: function, function: fail}}
  slow:
    target: {{type: python, handler: "handlers:slow"}}
    timeout: 150
  fail:
    target: {{type: python, handler: "handlers:fail"}}
    max_retry_attempts: 0
    timeout: 5
"""


@dataclass
class CloudHub:
    daemon: Daemon

    @property
    def url(self) -> str:
        return self.daemon.url

    async def record(self, invocation_id: str) -> dict[str, Any]:
        """The invocation as the hub's own API shows it."""
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session,
            session.get(f"{self.url}/v1/invocations/{invocation_id}") as response,
        ):
            assert response.status == 200, await response.text()
            record: dict[str, Any] = await response.json()
            return record

    async def status_becomes(self, invocation_id: str, status: str, timeout: float = 20) -> None:
        async def reached() -> bool:
            return (await self.record(invocation_id))["status"] == status

        await until(reached, timeout)

    async def count(self, function: str) -> int:
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session,
            session.get(f"{self.url}/v1/invocations", params={"function": function}) as response,
        ):
            return len((await response.json())["items"])


@pytest.fixture
def cloud_hub(tmp_path: Path, daemon_factory: Callable[..., Daemon]) -> Iterator[CloudHub]:
    port = free_port()
    (tmp_path / "handlers.py").write_text(textwrap.dedent(HANDLERS))
    config = tmp_path / "triggers.yaml"
    config.write_text(CONFIG.format(tmp=tmp_path, port=port, max_body=MAX_BODY, key=ACCESS_KEY))
    env = {"CLOUDS_TEST_TOKEN": TOKEN, "CLOUDS_TEST_SECRET": SECRET}
    daemon = daemon_factory(config, tmp_path, env, api_port=port)
    daemon.start()
    yield CloudHub(daemon)
    assert SECRET not in daemon.log()


_OPENED: list[Any] = []


def closed_after_test(client: Any) -> Any:
    """An SDK client whose connections are closed when the test ends (an unclosed pooled
    socket is a ResourceWarning, an error here)."""
    _OPENED.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """An SDK call (they block) off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def invoke_lambda(client: Any, **params: Any) -> dict[str, Any]:
    """boto3's Invoke with the payload read: its stream holds the connection until read."""

    def invoke() -> dict[str, Any]:
        answer: dict[str, Any] = client.invoke(**params)
        answer["Payload"] = answer["Payload"].read()
        return answer

    return await call(invoke)
