"""Flow control through real daemons started from YAML: one daemon on its SQLite file, or two
daemons sharing one PostgreSQL store. The functions write when each attempt started and ended,
so a test counts what ran when."""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon.conftest import FINAL, Api
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

FUNCTIONS = """
import asyncio, json, os, time

def _note(phase, event):
    line = {"phase": phase, "at": time.time(), "id": event.id, "data": event.data,
            "pid": os.getpid()}
    with open(os.environ["RUNS_FILE"], "a") as f:
        f.write(json.dumps(line) + "\\n")

async def work(event):
    _note("start", event)
    seconds = event.data.get("seconds", 0) if isinstance(event.data, dict) else 0
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        _note("cancelled", event)
        raise
    _note("end", event)
    return "ok"

async def gather(event):
    _note("start", event)
    _note("end", event)
    return {"failed": [m["id"] for m in event.data if m["data"].get("fail")]}
"""


def at(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


@dataclass
class Cluster:
    daemons: list[Daemon]
    session: aiohttp.ClientSession
    runs_file: Path
    workdir: Path
    _turn: int = field(default=0)

    def url(self, which: int | None = None) -> str:
        """One daemon's API; by default each call the next one, so requests alternate."""
        if which is None:
            which, self._turn = self._turn, self._turn + 1
        return self.daemons[which % len(self.daemons)].url

    def api(self, which: int | None = None) -> Api:
        return Api(self.session, self.url(which))

    async def invoke(
        self, function: str, data: Any, which: int | None = None, **headers: str
    ) -> dict[str, Any]:
        return await self.api(which).invoke(function, data, **headers)

    async def get(self, inv_id: str) -> dict[str, Any]:
        return await self.api(0).get(inv_id)

    async def wait(
        self, inv_id: str, statuses: set[str] = FINAL, timeout: float = 30
    ) -> dict[str, Any]:
        return await self.api(0).wait(inv_id, statuses, timeout)

    def elsewhere(self, pid: int) -> int:
        """The index of a daemon other than process `pid` (the only one, with one daemon)."""
        others = [n for n, daemon in enumerate(self.daemons) if daemon.pid != pid]
        return others[0] if others else 0

    def runs(self, phase: str = "start") -> list[dict[str, Any]]:
        if not self.runs_file.exists():
            return []
        lines = self.runs_file.read_text().splitlines()
        return [r for r in map(json.loads, lines) if r["phase"] == phase]


StartCluster = Callable[..., Cluster]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def start_cluster(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
) -> AsyncIterator[StartCluster]:
    """`start(functions, triggers)`: YAML text of the two sections; returns the running
    cluster (one SQLite daemon, or two PostgreSQL ones)."""
    if request.param == "postgres":
        store = request.getfixturevalue("postgres_database").url
        names = ["a", "b"]
    else:
        store = f"sqlite:///{tmp_path}/hub.db"
        names = ["a"]
    runs_file = tmp_path / "runs.jsonl"
    # A fresh connection per request: a test restarts daemons under the same port.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:

        def start(functions: str, triggers: str = "{}") -> Cluster:
            daemons = []
            for name in names:
                workdir = tmp_path / name
                workdir.mkdir(exist_ok=True)
                (workdir / "flowfns.py").write_text(FUNCTIONS)
                port = free_port()
                config = workdir / "triggers.yaml"
                config.write_text(
                    f'hub:\n  store: {{url: "{store}", lease_timeout: 2s}}\n'
                    f'  api: {{listen: "127.0.0.1:{port}"}}\n'
                    "functions:\n"
                    + textwrap.indent(textwrap.dedent(functions), "  ")
                    + "triggers:\n"
                    + textwrap.indent(textwrap.dedent(triggers), "  ")
                )
                env = {"RUNS_FILE": str(runs_file)}
                daemons.append(daemon_factory(config, workdir, api_port=port, env=env))
            for daemon in daemons:
                daemon.start()
            return Cluster(daemons, session, runs_file, tmp_path)

        yield start
