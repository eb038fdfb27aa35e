"""RabbitMQ 3.10 (Debian) as a private node: its own epmd, ports, cookie and mnesia dir."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.servers.process import (
    INSTALL_HINT,
    ManagedProcess,
    Server,
    ServerUnavailable,
    Spec,
    free_port,
    recv_exactly,
)

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
CONNECTION_START = (10, 10)  # class "connection", method "start"
# The event exchange gives tests a real audit source (connections, queues, users).
ENABLED_PLUGINS = "[rabbitmq_event_exchange].\n"


def amqp_handshake(port: int) -> None:
    """Ready means the broker answers the AMQP 0-9-1 header with Connection.Start."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(AMQP_HEADER)
        frame_type, _channel, _size = struct.unpack(">BHI", recv_exactly(sock, 7))
        method = struct.unpack(">HH", recv_exactly(sock, 4))
    if frame_type != 1 or method != CONNECTION_START:
        raise ConnectionError(f"not an AMQP Connection.Start: frame {frame_type}, {method}")


def epmd_handshake(port: int) -> None:
    """Ready means epmd answers NAMES_REQ with its own port number."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(struct.pack(">Hc", 1, b"n"))
        (answered,) = struct.unpack(">I", recv_exactly(sock, 4))
    if answered != port:
        raise ConnectionError(f"epmd on {port} says it is on {answered}")


def _epmd_binary() -> Path:
    found = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
    return Path(found)


class RabbitMQ(Server):
    kind = "rabbitmq"

    def __init__(self, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.dist_port = free_port()
        self.epmd_port = free_port()
        # Unique per session so two sessions on one machine never share a node.
        self.node = f"hubtest{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self._epmd: ManagedProcess | None = None

    def prepare(self) -> None:
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise ServerUnavailable(
                f"rabbitmq-server not found in {RABBIT_BIN} (Debian package rabbitmq-server); "
                + INSTALL_HINT
            )
        for sub in ("home", "mnesia", "log"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.base_dir / "env.conf").touch()
        (self.base_dir / "enabled_plugins").write_text(ENABLED_PLUGINS)
        listener = f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
        (self.base_dir / "rabbitmq.conf").write_text(listener)

    def env(self) -> dict[str, str]:
        b = self.base_dir
        return {
            "HOME": str(b / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": str(b / "mnesia"),
            "RABBITMQ_LOG_BASE": str(b / "log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_PID_FILE": str(b / "pid"),
            "RABBITMQ_CONFIG_FILE": str(b / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(b / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(b / "env.conf"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def spec(self) -> Spec:
        return Spec(
            name=f"rabbitmq node {self.node}",
            argv=[str(RABBIT_BIN / "rabbitmq-server")],
            cwd=self.base_dir,
            log_path=self.log_path,
            env=self.env(),
            ready=lambda: amqp_handshake(self.port),
            ready_timeout=60,
            stop_timeout=30,
        )

    def _epmd_spec(self) -> Spec:
        # Started by the harness (not by erl as a daemon) so it has a PID we own.
        return Spec(
            name=f"epmd on port {self.epmd_port}",
            argv=[str(_epmd_binary()), "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            cwd=self.base_dir,
            log_path=self.base_dir / "epmd.log",
            ready=lambda: epmd_handshake(self.epmd_port),
            ready_timeout=10,
        )

    def start_helpers(self) -> None:
        if self._epmd is None or not self._epmd.running():
            self._epmd = ManagedProcess(self._epmd_spec())
            self._epmd.start()

    def stop(self) -> None:
        if self._proc is not None and self._proc.running():
            # If rabbitmqctl fails, the SIGTERM / SIGKILL fallback below still stops it.
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.ctl("stop", timeout=60)
            self._proc.wait(30)
        super().stop()
        if self._epmd is not None:
            self._epmd.stop()

    def ctl(self, *args: str, timeout: float = 30) -> str:
        """Run rabbitmqctl against this node (same cookie through HOME)."""
        env = {**os.environ, **self.env()}
        done = subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise subprocess.CalledProcessError(
                done.returncode, done.args, done.stdout, done.stderr
            )
        return done.stdout

    def add_vhost(self, name: str) -> None:
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")

    def url_for(self, vhost: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"


@dataclass(frozen=True)
class Vhost:
    """One test's private vhost on the session broker."""

    server: RabbitMQ
    name: str

    @property
    def url(self) -> str:
        return self.server.url_for(self.name)

    @classmethod
    def create(cls, server: RabbitMQ) -> Vhost:
        vhost = cls(server, f"test-{uuid.uuid4().hex[:12]}")
        server.add_vhost(vhost.name)
        return vhost

    def delete(self) -> None:
        self.server.ctl("delete_vhost", self.name)
