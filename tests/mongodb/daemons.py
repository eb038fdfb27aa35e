"""What the real-daemon mongodb tests share: a sink function that records each run, the
daemon config around one mongodb trigger, and reading the trigger's status over the API."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from tests.servers.daemon import Daemon
from tests.servers.mongodb import MongoDatabase

TRIGGER = "orders"

SINK = """
import json, os

def append(event):
    line = {
        "key": event.idempotency_key,
        "n": event.data["documentKey"]["_id"],
        "by": os.environ.get("DAEMON_NAME", ""),
    }
    # One write(2) on an O_APPEND file: a kill cannot leave half a line, and daemons sharing
    # the file cannot mix theirs.
    fd = os.open(os.environ["SINK_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\\n").encode())
    finally:
        os.close(fd)
"""


def install_sink(folder: Path) -> None:
    """`sink:append` importable from `folder` (the daemon's cwd, or on its PYTHONPATH)."""
    folder.mkdir(exist_ok=True)
    (folder / "sink.py").write_text(SINK)


def write_config(
    workdir: Path, store_url: str, database: MongoDatabase, port: int, lease_timeout: str
) -> Path:
    """One mongodb trigger on `orders` feeding `sink`. A run started by a daemon that is then
    killed runs again once its lease runs out, `timeout` plus `lease_timeout` after it started:
    a short `timeout` keeps that wait short."""
    workdir.mkdir(exist_ok=True)
    config = workdir / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store:
                url: "{store_url}"
                lease_timeout: {lease_timeout}
              api:
                listen: 127.0.0.1:{port}
              log: {{format: json}}
            functions:
              sink:
                target: {{type: python, handler: "sink:append"}}
                timeout: 3s
            triggers:
              {TRIGGER}:
                type: mongodb
                function: sink
                uri: "{database.url}"
                database: {database.name}
                collection: orders
                max_await: 100ms
            """
        )
    )
    return config


def sunk(path: Path) -> set[int]:
    """The documents the function has run for (a run cut short by a kill may repeat)."""
    if not path.exists():
        return set()
    # The last piece is empty, or a line still being written: only whole lines count.
    whole = path.read_bytes().split(b"\n")[:-1]
    return {orjson.loads(line)["n"] for line in whole}


async def trigger_status(session: aiohttp.ClientSession, daemon: Daemon) -> dict[str, Any]:
    async with session.get(f"{daemon.url}/v1/triggers") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
    return dict(body[TRIGGER])


async def watching(session: aiohttp.ClientSession, daemon: Daemon) -> bool:
    """Connected, with a resume token committed: every change from now on is seen."""
    status = await trigger_status(session, daemon)
    return status["state"] == "connected" and status["detail"]["resume_token"] is not None
