"""The real daemon tails a file, is killed with SIGKILL in the middle of it, and is started
again: every matching line gets exactly one invocation across the crash, and none is lost."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from pathlib import Path

import orjson

from hub import Hub
from hub.config.settings import HubSettings, StoreSettings
from hub.store.base import ListQuery
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

SINK = """
import json, os

def append(event):
    with open(os.environ["SINK_FILE"], "a") as f:
        f.write(json.dumps({"key": event.idempotency_key, "data": event.data}) + "\\n")
"""


def write_config(tmp_path: Path, log: Path, port: int) -> Path:
    (tmp_path / "sink.py").write_text(SINK)
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store:
                url: sqlite:///{tmp_path}/hub.db
                lease_timeout: 2s
              api:
                listen: 127.0.0.1:{port}
              log: {{format: json}}
            functions:
              sink:
                target: {{type: python, handler: "sink:append"}}
            triggers:
              app:
                type: log_stream
                function: sink
                paths: {tmp_path}/logs/*.log
                from: start
                match: KEEP
                poll_interval: 20ms
            """
        )
    )
    return config


def append(path: Path, first: int, last: int) -> list[str]:
    """Lines `first..last-1`, every other one matching; returns the matching ones."""
    text = "".join(f"{'KEEP' if n % 2 == 0 else 'drop'} line {n:05d}\n" for n in range(first, last))
    with path.open("a") as f:
        f.write(text)
    return [f"KEEP line {n:05d}" for n in range(first, last) if n % 2 == 0]


def sunk(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


async def test_sigkill_mid_file_then_restart_invokes_every_line_exactly_once(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    (tmp_path / "logs").mkdir()
    log, sink = tmp_path / "logs" / "app.log", tmp_path / "sink.jsonl"
    port = free_port()
    config = write_config(tmp_path, log, port)
    daemon = daemon_factory(config, tmp_path, {"SINK_FILE": str(sink)}, api_port=port)
    wanted = append(log, 0, 1000)
    daemon.start()
    # An application keeps writing while the daemon reads, dies and comes back.
    writer = asyncio.create_task(write(log, 1000, 6000, wanted))
    await until(lambda: len(sunk(sink)) >= 300, timeout=60)
    daemon.kill()
    at_kill, written = len({entry["key"] for entry in sunk(sink)}), len(wanted)
    assert not writer.done()
    assert 0 < at_kill < written, "the crash must come in the middle of the file"
    await writer
    # While it is down the file is rotated and a new file starts.
    log.rename(tmp_path / "logs" / "app.log.1")
    wanted += append(log, 6000, 6100)
    daemon.start()
    await until(lambda: len({e["key"] for e in sunk(sink)}) >= len(wanted), timeout=90)
    assert daemon.terminate() == 0

    # Each line ran (a run cut short by the kill may run again: at-least-once execution)...
    assert sorted({entry["data"] for entry in sunk(sink)}) == wanted
    # ...but every line has exactly one invocation.
    invocations = await _invocations(tmp_path)
    assert sorted(data for _, data in invocations) == wanted
    assert len({key for key, _ in invocations}) == len(wanted)


async def write(log: Path, first: int, last: int, wanted: list[str]) -> None:
    for start in range(first, last, 25):
        wanted += append(log, start, min(start + 25, last))
        await asyncio.sleep(0.005)


async def _invocations(tmp_path: Path) -> list[tuple[str, str]]:
    store = StoreSettings(url=f"sqlite:///{tmp_path}/hub.db")
    async with Hub(HubSettings(store=store), {}) as hub:
        page = await hub.query(ListQuery(function="sink", limit=100_000))
        await asyncio.sleep(0)
    return [(inv.idempotency_key or "", str(inv.event.data)) for inv in page.items]
