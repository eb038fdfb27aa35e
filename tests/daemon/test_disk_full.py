"""The daemon when its store's disk fills up and frees again (a real tmpfs, really full):
submits are refused with 507, /readyz turns 503, triggers pause, running attempts keep their
outcome until it can be written, and everything resumes by itself once space returns."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon.conftest import FINAL, Api
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.tmpfs import fill, mounted_tmpfs
from tests.waiting import until

pytestmark = pytest.mark.timeout(120)
TIMEOUT = 3.0
LEASE = 1.0
FUNCTIONS = """
import asyncio, os

async def work(event):
    with open(os.environ["RECORD_FILE"], "a") as f:
        f.write(event.id + "\\n")  # one line per attempt
    await asyncio.sleep(event.data["seconds"])
    return "ok"

async def tick(event):
    return "tick"
"""


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "16m") as path:
        yield path


def write_config(tmp_path: Path, disk: Path, port: int, drain: float = 30.0) -> Path:
    (tmp_path / "diskfns.py").write_text(FUNCTIONS)
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{disk}/hub.db", lease_timeout: {LEASE:g}s}}
              api: {{listen: "127.0.0.1:{port}"}}
              drain_timeout: {drain:g}s
            functions:
              work:
                target: {{type: python, handler: "diskfns:work"}}
                timeout: {TIMEOUT:g}s
              tick:
                target: {{type: python, handler: "diskfns:tick"}}
            triggers:
              ticker:
                type: timer
                function: tick
                schedule: "rate(200 milliseconds)"
            """
        )
    )
    return config


async def status_of(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.get(url) as resp:
        body: dict[str, Any] = await resp.json()
        return resp.status, body


async def test_full_disk_refuses_clearly_pauses_and_recovers_without_running_twice(
    tmp_path: Path,
    disk: Path,
    daemon_factory: Callable[..., Daemon],
    api_session: aiohttp.ClientSession,
) -> None:
    port = free_port()
    record = tmp_path / "record.txt"
    daemon = daemon_factory(
        write_config(tmp_path, disk, port),
        tmp_path,
        api_port=port,
        env={"RECORD_FILE": str(record)},
    )
    daemon.start()
    api = Api(api_session, daemon.url)
    running = [(await api.invoke("work", {"seconds": 2.0}))["id"] for _ in range(3)]
    await until(lambda: record.exists() and len(record.read_text().split()) == 3)
    started = time.time()

    filler = fill(disk)  # the attempts now finish while nothing can be written

    async def not_ready() -> bool:
        code, body = await status_of(api_session, f"{daemon.url}/readyz")
        return code == 503 and "cannot write" in body["error"]

    await until(not_ready, timeout=20)

    async def refused() -> bool:
        async with api_session.post(
            f"{daemon.url}/v1/functions/work/invocations", json={"seconds": 0}
        ) as resp:
            body = await resp.json()
            if resp.status != 507:
                return False
            assert "out of disk space" in body["error"]
            assert "full" in body["reason"]
            assert int(resp.headers["Retry-After"]) > 0
            return True

    await until(refused, timeout=20)

    async def ticker_is(state: str) -> bool:
        _, triggers = await status_of(api_session, f"{daemon.url}/v1/triggers")
        return bool(triggers["ticker"]["state"] == state)

    await until(lambda: ticker_is("paused"), timeout=20)
    # Outlast the leases of the attempts whose outcome could not be written: had the outcome
    # been dropped, they would be leased and run again once space returns.
    await until(lambda: time.time() > started + TIMEOUT + LEASE + 1.0, timeout=30)
    for inv_id in running:  # their attempts ended, but the outcome is not written yet
        assert (await api.get(inv_id))["status"] not in FINAL

    filler.unlink()

    await until(_ready(api_session, daemon.url), timeout=20)
    for inv_id in running:
        inv = await api.wait(inv_id)
        assert inv["status"] == "succeeded", inv
    after = await api.invoke("work", {"seconds": 0})
    assert (await api.wait(after["id"]))["status"] == "succeeded"
    await until(lambda: ticker_is("connected"), timeout=20)
    runs = record.read_text().split()
    assert len(runs) == len(set(runs)) == len(running) + 1, f"an event ran twice: {runs}"
    log = daemon.log()
    assert "task crashed" not in log, "a loop crash-looped instead of waiting for the store"
    assert daemon.terminate() == 0


def _ready(session: aiohttp.ClientSession, url: str, status: int = 200) -> Callable[[], Any]:
    async def check() -> bool:
        code, _ = await status_of(session, f"{url}/readyz")
        return code == status

    return check


async def test_sigterm_on_a_full_disk_stops_cleanly(
    tmp_path: Path,
    disk: Path,
    daemon_factory: Callable[..., Daemon],
    api_session: aiohttp.ClientSession,
) -> None:
    """The attempt running at SIGTERM cannot write its outcome nor hand its lease back: the
    daemon still stops with 0 (the lease runs out and the invocation runs again later)."""
    port = free_port()
    record = tmp_path / "record.txt"
    daemon = daemon_factory(
        write_config(tmp_path, disk, port, drain=1.0),
        tmp_path,
        api_port=port,
        env={"RECORD_FILE": str(record)},
    )
    daemon.start()
    api = Api(api_session, daemon.url)
    await api.invoke("work", {"seconds": 0.5})
    await until(lambda: record.exists() and len(record.read_text().split()) == 1)
    fill(disk)
    await until(_ready(api_session, daemon.url, 503), timeout=20)
    assert daemon.terminate() == 0
    assert "Traceback" not in daemon.log()
