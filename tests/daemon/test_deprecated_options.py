"""A triggers file with an option in an old spelling: the daemon runs it as written today and
logs, at load and at every reload, one warning per old spelling with where it is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

CONFIG = """\
hub:
  store: {{url: "sqlite:///{folder}/hub.db"}}
  api: {{listen: "127.0.0.1:{port}"}}
  log: {{format: json}}
functions:
  sink: {{target: {{type: python, handler: "sinkfns:sink"}}}}
triggers:
  lines:
    type: log_stream
    function: sink
    paths: {folder}/app.log
    from: start
    batch_size: 2
    max_line_bytes: 4096
"""


def notices(daemon: Daemon) -> list[dict[str, Any]]:
    lines = [json.loads(text) for text in daemon.log().splitlines() if text.startswith("{")]
    return [line for line in lines if line.get("event") == "triggers file: deprecated option"]


async def test_old_spellings_are_logged_at_load_and_reload(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    (tmp_path / "sinkfns.py").write_text("async def sink(event):\n    return None\n")
    (tmp_path / "app.log").write_text("one\ntwo\n")
    config = tmp_path / "triggers.yaml"
    config.write_text(CONFIG.format(folder=tmp_path, port=(port := free_port())))
    daemon = daemon_factory(config, tmp_path, api_port=port)
    daemon.start()
    await until(lambda: len(notices(daemon)) == 2, timeout=30)
    batch, payload = notices(daemon)
    assert batch["level"] == "warning"
    assert batch["notice"] == (
        f"{config}:13:5: triggers.lines.batch_size: deprecated spelling; write `batch.size` instead"
    )
    assert payload["notice"].startswith(f"{config}:14:5: triggers.lines.max_line_bytes:")

    config.write_text(config.read_text() + "# edited\n")  # a reload reads the file again
    await until(lambda: len(notices(daemon)) == 4, timeout=30)
