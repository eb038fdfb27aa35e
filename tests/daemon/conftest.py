from __future__ import annotations

import asyncio
import shutil
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.servers.daemon import Daemon
from tests.servers.process import free_port

FINAL = {"succeeded", "failed", "expired", "stopped"}
FUNCTIONS = """
import asyncio, os

async def slow(event):
    await asyncio.sleep(event.data["seconds"])
    return {"slept": event.data["seconds"]}

async def record(event):
    with open(os.environ["RECORD_FILE"], "a") as f:
        f.write(event.id + "\\n")
    return "ok"
"""


class Api:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def invoke(self, function: str, data: Any, **headers: str) -> dict[str, Any]:
        async with self.session.post(
            f"{self.url}/v1/functions/{function}/invocations", json=data, headers=headers
        ) as resp:
            body: dict[str, Any] = await resp.json()
            assert resp.status == 202, body
            return body

    async def get(self, inv_id: str) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/v1/invocations/{inv_id}") as resp:
            assert resp.status == 200
            body: dict[str, Any] = await resp.json()
            return body

    async def wait(
        self, inv_id: str, statuses: set[str] = FINAL, timeout: float = 30
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                inv = await self.get(inv_id)
                if inv["status"] in statuses:
                    return inv
                await asyncio.sleep(0.02)


@pytest.fixture
async def api_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def write_config(path: Path, port: int, functions: str, hub: str = "", api: str = "") -> None:
    """`api`: more `hub.api` settings, flow style (`header_timeout: 1s, body_timeout: 1s`)."""
    more_api = f", {api}" if api else ""
    path.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{path.parent}/hub.db", lease_timeout: 2s}}
              api: {{listen: "127.0.0.1:{port}"{more_api}}}
            """
        )
        + textwrap.indent(textwrap.dedent(hub), "  ")
        + "functions:\n"
        + textwrap.indent(textwrap.dedent(functions), "  ")
        + "triggers: {}\n"
    )


MakeDaemon = Callable[..., tuple[Daemon, Path, int]]


@pytest.fixture
def make_daemon(tmp_path: Path, daemon_factory: Callable[..., Daemon]) -> MakeDaemon:
    (tmp_path / "testfns.py").write_text(FUNCTIONS)

    def make(
        functions: str, hub: str = "", api: str = "", **daemon: Any
    ) -> tuple[Daemon, Path, int]:
        port = free_port()
        config = tmp_path / "triggers.yaml"
        write_config(config, port, functions, hub, api)
        env = {"RECORD_FILE": str(tmp_path / "record.txt"), **daemon.pop("env", {})}
        return daemon_factory(config, tmp_path, api_port=port, env=env, **daemon), config, port

    return make


def copy_example(dest: Path) -> Path:
    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "config", dest / "config")
    return dest / "config" / "triggers.yaml"
