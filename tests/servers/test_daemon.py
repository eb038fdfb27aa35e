"""The daemon helper reports a daemon that cannot start, with its log, as a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers.daemon import Daemon, DaemonError
from tests.servers.process import free_port


def test_daemon_that_cannot_start_fails_with_its_log(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    missing = tmp_path / "no-such-config.yaml"
    daemon = daemon_factory(missing, tmp_path, api_port=free_port(), ready_timeout=20)
    with pytest.raises(DaemonError, match=r"(?s)triggerhub daemon.*log .*daemon\.log"):
        daemon.start()
    assert not daemon.running
    assert daemon.log()  # whatever it printed on the way out is kept for the report


def test_daemon_starts_restarts_and_stops(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    port = free_port()
    config = tmp_path / "triggers.yaml"
    config.write_text(
        "hub:\n"
        f"  store:\n    url: sqlite:///{tmp_path}/hub.db\n"
        f"  api:\n    listen: 127.0.0.1:{port}\n"
        "functions: {}\n"
        "triggers: {}\n"
    )
    daemon = daemon_factory(config, tmp_path, api_port=port)
    daemon.start()
    first = daemon.pid
    assert daemon.restart() == 0  # a graceful SIGTERM exits cleanly
    assert daemon.pid != first
    daemon.kill()
    assert not daemon.running
