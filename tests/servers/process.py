"""Run a real server as a child process the harness owns, and nothing else.

Every process starts in its own process group so that stopping it also stops
the helpers it forks (PostgreSQL backends, Erlang port programs) without ever
signalling anything by name. Every leader is recorded in ``REGISTRY`` so the
session can prove at the end that nothing it started is still alive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

INSTALL_HINT = "install it with: bash scripts/install-test-deps.sh"
REPO = Path(__file__).resolve().parents[2]
SERVERS_VENV = REPO / ".servers" / "venv"


class ServerUnavailable(RuntimeError):
    """A server could not be started here: missing binary, crash or no readiness."""


def free_port() -> int:
    # The port is released before the server binds it; a collision is possible
    # but rare on loopback, and shows up as a startup failure with the log.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_file(path: Path, what: str) -> Path:
    if not path.exists():
        raise ServerUnavailable(f"{what} not found at {path}; {INSTALL_HINT}")
    return path


def site_packages() -> Path:
    found = sorted((SERVERS_VENV / "lib").glob("python3*/site-packages"))
    if not found:
        raise ServerUnavailable(f"server virtualenv missing at {SERVERS_VENV}; {INSTALL_HINT}")
    return found[-1]


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    """Read ``size`` bytes of a protocol reply, failing if the peer hangs up first."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {size} bytes")
        data += chunk
    return data


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


class PidRegistry:
    """Every process group the harness started, to check none outlives the session."""

    def __init__(self) -> None:
        self._leaders: dict[int, psutil.Process] = {}

    def add(self, pid: int) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            self._leaders[pid] = psutil.Process(pid)

    def alive(self) -> list[psutil.Process]:
        """Leaders and members of their groups that still run (zombies are dead)."""
        groups = set(self._leaders)
        found: dict[int, psutil.Process] = {}
        for proc in self._leaders.values():
            if _running(proc):
                found[proc.pid] = proc
        for proc in psutil.process_iter():
            with contextlib.suppress(ProcessLookupError, psutil.Error):
                if os.getpgid(proc.pid) in groups and _running(proc):
                    found[proc.pid] = proc
        return list(found.values())

    def kill_all(self) -> None:
        for proc in self.alive():
            with contextlib.suppress(psutil.Error):
                proc.kill()


def _running(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


REGISTRY = PidRegistry()


def wait_until(check: Callable[[], object], deadline: float, what: str) -> None:
    """Poll ``check`` until it returns without raising, or raise ``TimeoutError``."""
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            check()
        except Exception as exc:  # any failure of the probe means "not yet"
            last = exc
        else:
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what}: last error: {last!r}")


@dataclass
class Spec:
    """How to run one server process and how to know it is ready."""

    name: str
    argv: Sequence[str]
    cwd: Path
    log_path: Path
    ready: Callable[[], object]
    env: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    ready_timeout: float = 30.0
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 15.0
    # RLIMIT_NOFILE (soft and hard) of the process, like `ulimit -n`; None keeps ours.
    open_files: int | None = None


# Sets the limit, then becomes the server (same process, same pid): no code runs in a forked
# child of this threaded process, as a preexec_fn would.
_WITH_OPEN_FILES = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); os.execv(sys.argv[2], sys.argv[2:])"
)


def _with_open_files(argv: Sequence[str], limit: int | None) -> list[str]:
    if limit is None:
        return list(argv)
    return [sys.executable, "-c", _WITH_OPEN_FILES, str(limit), *argv]


class ManagedProcess:
    """One running instance of a ``Spec``; dead once stopped (start a new one)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._popen is not None, f"{self.spec.name} was never started"
        return self._popen.pid

    def start(self) -> None:
        spec = self.spec
        require_file(Path(spec.argv[0]), f"{spec.name} executable")
        env = {**os.environ, **spec.env}
        with spec.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                _with_open_files(spec.argv, spec.open_files),
                cwd=spec.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=spec.user,
                group=spec.user,
                extra_groups=[] if spec.user else None,
            )
        REGISTRY.add(self._popen.pid)
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._popen is not None
        deadline = time.monotonic() + self.spec.ready_timeout
        last: Exception | None = None
        while (code := self._popen.poll()) is None:
            try:
                self.spec.ready()
            except Exception as exc:  # any failure of the probe means "not yet"
                last = exc
            else:
                return
            if time.monotonic() >= deadline:
                self.kill()
                timeout = self.spec.ready_timeout
                raise self._unavailable(f"not ready within {timeout:.0f}s (last: {last!r})")
            time.sleep(0.05)
        self.kill()
        raise self._unavailable(f"exited with code {code} while starting")

    def _unavailable(self, problem: str) -> ServerUnavailable:
        tail = log_tail(self.spec.log_path)
        return ServerUnavailable(f"{self.spec.name} {problem}; log {self.spec.log_path}:\n{tail}")

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def wait(self, timeout: float) -> bool:
        """Wait for the process to exit on its own; True if it did."""
        assert self._popen is not None
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def send(self, sig: signal.Signals) -> None:
        """Signal the leader only, so it can shut its own children down in order."""
        if self._popen is not None and self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._popen.send_signal(sig)

    def stop(self) -> int | None:
        """Graceful stop by the server's own signal; SIGKILL when it overstays."""
        if self._popen is None:
            return None
        self.send(self.spec.stop_signal)
        self.wait(self.spec.stop_timeout)
        return self.kill()

    def kill(self) -> int | None:
        """SIGKILL the whole group and wait until every member is gone."""
        if self._popen is None:
            return None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        code = self._popen.wait()
        wait_until(self._group_gone, time.monotonic() + 10, f"{self.spec.name} group lingers")
        return code

    def _group_gone(self) -> None:
        for proc in psutil.process_iter():
            with contextlib.suppress(ProcessLookupError, psutil.Error):
                if os.getpgid(proc.pid) == self.pid and _running(proc):
                    raise RuntimeError(f"pid {proc.pid} still in group {self.pid}")


class Server:
    """A server on a fixed port and data dir that survives its own restarts.

    Subclasses build the ``Spec`` (and may prepare the data dir once); the
    port and directory never change, so clients reconnect to the same URL
    and find their data where the server keeps any.
    """

    kind = "server"

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.log_path = base_dir / f"{self.kind}.log"
        self.port = free_port()
        self._proc: ManagedProcess | None = None
        self._prepared = False

    def spec(self) -> Spec:
        raise NotImplementedError

    def prepare(self) -> None:
        """One-time setup before the first start (e.g. initdb)."""

    def start_helpers(self) -> None:
        """Start companion processes the server needs (e.g. epmd) if not running."""

    def start(self) -> None:
        if not self._prepared:
            self.prepare()
            self._prepared = True
        self.start_helpers()
        proc = ManagedProcess(self.spec())
        proc.start()
        self._proc = proc

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill_and_start(self) -> None:
        """Crash the server (SIGKILL, no shutdown work) and start it again."""
        if self._proc is not None:
            self._proc.kill()
        self.start()

    @property
    def pid(self) -> int:
        assert self._proc is not None, f"{self.kind} is not started"
        return self._proc.pid
