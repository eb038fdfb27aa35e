"""The harness itself: startup failures are reported, groups die whole, CI never skips."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import psutil
import pytest

from tests.servers.plugin import unavailable
from tests.servers.process import REGISTRY, ManagedProcess, ServerUnavailable, Spec, free_port

# A parent that forks a child into its own group, then listens: the shape of a
# server with worker processes (PostgreSQL, Erlang port programs).
LISTENER = """
import socket, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
sock = socket.socket(); sock.bind(("127.0.0.1", int(sys.argv[1]))); sock.listen()
print("listening", flush=True)
while True:
    sock.accept()[0].close()
"""


def _connect(port: int) -> None:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _spec(tmp_path: Path, code: str, port: int, ready_timeout: float = 10) -> Spec:
    return Spec(
        name="fake server",
        argv=[sys.executable, "-c", code, str(port)],
        cwd=tmp_path,
        log_path=tmp_path / "fake.log",
        ready=lambda: _connect(port),
        ready_timeout=ready_timeout,
    )


def test_ready_process_is_registered_and_dies_with_its_children(tmp_path: Path) -> None:
    proc = ManagedProcess(_spec(tmp_path, LISTENER, free_port()))
    proc.start()
    group = [p for p in REGISTRY.alive() if _group(p) == proc.pid]
    assert len(group) == 2  # the leader and its forked child
    proc.kill()
    assert not [p for p in REGISTRY.alive() if _group(p) == proc.pid]


def test_process_that_exits_while_starting_reports_its_log(tmp_path: Path) -> None:
    code = "import sys; print('bad flag --nope'); sys.exit(3)"
    with pytest.raises(ServerUnavailable, match=r"(?s)exited with code 3.*bad flag --nope"):
        ManagedProcess(_spec(tmp_path, code, free_port())).start()


def test_process_that_never_gets_ready_is_killed(tmp_path: Path) -> None:
    code = "import time; print('stuck', flush=True); time.sleep(600)"
    proc = ManagedProcess(_spec(tmp_path, code, free_port(), ready_timeout=0.5))
    with pytest.raises(ServerUnavailable, match=r"(?s)not ready within.*stuck"):
        proc.start()
    assert not proc.running()


def test_missing_server_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = ServerUnavailable("rabbitmq-server not found")
    monkeypatch.delenv("TRIGGERHUB_REQUIRE_SERVERS", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"scripts/install-test-deps\.sh"):
        unavailable("rabbitmq", problem)
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="rabbitmq-server not found"):
        unavailable("rabbitmq", problem)
    monkeypatch.setenv("TRIGGERHUB_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception):
        unavailable("rabbitmq", problem)


def _group(proc: psutil.Process) -> int:
    try:
        return os.getpgid(proc.pid)
    except ProcessLookupError:
        return -1
