"""A daemon from YAML for the pause and bulk tests, on SQLite or on a shared PostgreSQL, with
functions that write down every run so a test counts what ran."""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

FUNCTIONS = """
import os
from hub.errors import NonRetryableError

def _write(name, event):
    with open(os.environ["RECORD_FILE"], "a") as f:
        f.write(f"{name} {event.id}\\n")

async def record(event):
    _write("record", event)
    return "ok"

async def marker(event):
    _write("marker", event)
    return "ok"

async def flaky(event):
    _write("flaky", event)
    if os.path.exists(os.environ["FAIL_FLAG"]):
        raise NonRetryableError("told to fail")
    return "ok"
"""

FUNCTIONS_YAML = """\
record: {target: {type: python, handler: "controlfns:record"}}
marker: {target: {type: python, handler: "controlfns:marker"}}
flaky: {target: {type: python, handler: "controlfns:flaky"}, max_retry_attempts: 0}
"""


def config_text(store_url: str, port: int, triggers: str = "") -> str:
    body = "hub:\n"
    body += f'  store: {{url: "{store_url}", lease_timeout: 2s}}\n'
    body += f'  api: {{listen: "127.0.0.1:{port}"}}\n'
    body += "functions:\n" + textwrap.indent(FUNCTIONS_YAML, "  ")
    body += "triggers:\n" + textwrap.indent(textwrap.dedent(triggers), "  ") if triggers else ""
    return body if triggers else body + "triggers: {}\n"


class Site:
    """One test's folder: the functions, the record of runs, and its daemons."""

    def __init__(self, root: Path, store_url: str, factory: Callable[..., Daemon]) -> None:
        self.root = root
        self.store_url = store_url
        self.factory = factory
        self.record = root / "record.txt"
        self.fail_flag = root / "fail"
        (root / "controlfns.py").write_text(FUNCTIONS)

    def daemon(self, name: str = "a", triggers: str = "") -> Daemon:
        workdir = self.root / name
        workdir.mkdir(exist_ok=True)
        port = free_port()
        config = workdir / "triggers.yaml"
        config.write_text(config_text(self.store_url, port, triggers))
        env = {
            "RECORD_FILE": str(self.record),
            "FAIL_FLAG": str(self.fail_flag),
            "PYTHONPATH": str(self.root),
        }
        daemon = self.factory(config, workdir, api_port=port, env=env)
        daemon.start()
        return daemon

    def runs(self, function: str) -> Counter[str]:
        """How often each event of `function` ran (by event id: see `Client.events`)."""
        if not self.record.exists():
            return Counter()
        lines = self.record.read_text().splitlines()
        return Counter(line.split()[1] for line in lines if line.split()[0] == function)


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(
        self, method: str, path: str, expect: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        async with self.session.request(method, f"{self.url}{path}", **kwargs) as resp:
            body: dict[str, Any] = await resp.json()
            assert resp.status == expect, (method, path, resp.status, body)
            return body

    async def invoke(self, function: str, data: Any = None, **headers: str) -> str:
        body = await self.call(
            "POST", f"/v1/functions/{function}/invocations", 202, json=data, headers=headers
        )
        return str(body["id"])

    async def status(self, inv_id: str) -> str:
        return str((await self.call("GET", f"/v1/invocations/{inv_id}"))["status"])

    async def wait_status(self, ids: list[str], wanted: str, timeout: float = 30) -> None:
        async def all_there() -> bool:
            return all([await self.status(i) == wanted for i in ids])

        await until(all_there, timeout=timeout)

    async def events(self, ids: list[str]) -> list[str]:
        """The event ids of these invocations, as the functions write them down."""
        return [(await self.call("GET", f"/v1/invocations/{i}"))["event"]["id"] for i in ids]

    async def function(self, name: str) -> dict[str, Any]:
        items = (await self.call("GET", "/v1/functions"))["items"]
        [found] = [item for item in items if item["name"] == name]
        return dict(found)

    async def trigger(self, name: str) -> dict[str, Any]:
        return dict((await self.call("GET", "/v1/triggers"))[name])

    async def ran_after(self, site: Site) -> None:
        """A marker invocation submitted now has run: the dispatcher has looked at
        everything submitted before it (leases go oldest due first)."""
        marker = await self.invoke("marker")
        await self.wait_status([marker], "succeeded")
        [event] = await self.events([marker])
        assert site.runs("marker")[event] == 1


async def reload(daemon: Daemon) -> None:
    """SIGHUP, and wait until the daemon has applied it."""
    before = daemon.log().count("config reloaded")
    os.kill(daemon.pid, signal.SIGHUP)
    await until(lambda: daemon.log().count("config reloaded") > before, timeout=15)


async def gather_ids(*calls: Any) -> list[str]:
    return list(await asyncio.gather(*calls))
