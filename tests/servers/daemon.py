"""The triggerhub daemon as a real child process, for crash and shutdown tests.

Ready means ``GET /readyz`` answers 200, not that the process exists. A daemon
that dies or never gets ready fails the test (never skips it) with the tail of
its log, since here the daemon is what is under test.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.servers.process import ManagedProcess, ServerUnavailable, Spec, log_tail


class DaemonError(AssertionError):
    """The daemon did not start, did not get ready or did not stop as asked."""


class Daemon:
    def __init__(
        self,
        config_path: Path,
        workdir: Path,
        env: Mapping[str, str] | None = None,
        *,
        api_port: int,
        api_host: str = "127.0.0.1",
        ready_timeout: float = 30.0,
        open_files: int | None = None,
    ) -> None:
        self.config_path = config_path
        self.workdir = workdir
        # Added to this process's environment, so PATH and the venv still apply.
        self.env = dict(env or {})
        self.api_host = api_host
        self.api_port = api_port
        self.ready_timeout = ready_timeout
        self.open_files = open_files  # its `ulimit -n`
        self.log_path = workdir / "daemon.log"
        self._proc: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def pid(self) -> int:
        return self._running().pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.running()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        proc = ManagedProcess(self._spec())
        try:
            proc.start()
        except ServerUnavailable as exc:
            raise DaemonError(str(exc)) from None
        self._proc = proc

    def refused(self, timeout: float = 30.0) -> tuple[int, str]:
        """Run a daemon that must refuse to start: its exit code and its stderr alone (stdout,
        the log, goes to the log file). One that starts instead is killed at the timeout."""
        spec = self._spec()
        with spec.log_path.open("ab") as log:
            try:
                done = subprocess.run(
                    list(spec.argv),
                    cwd=spec.cwd,
                    env={**os.environ, **spec.env},
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.PIPE,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise DaemonError(
                    f"daemon was expected to refuse to start but ran for {timeout:.0f}s; "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                ) from None
        return done.returncode, done.stderr.decode(errors="replace")

    def kill(self) -> int | None:
        """SIGKILL: the crash case, no shutdown work at all."""
        return self._proc.kill() if self._proc is not None else None

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the graceful shutdown; its exit code."""
        proc = self._running()
        proc.send(signal.SIGTERM)
        if not proc.wait(timeout):
            proc.kill()
            raise DaemonError(
                f"daemon did not exit within {timeout:.0f}s of SIGTERM; "
                f"log {self.log_path}:\n{log_tail(self.log_path)}"
            )
        code = proc.kill()  # reaps it and anything left in its group
        assert code is not None
        return code

    def restart(self, timeout: float = 30.0) -> int:
        code = self.terminate(timeout)
        self.start()
        return code

    def _running(self) -> ManagedProcess:
        if self._proc is None or not self._proc.running():
            raise DaemonError("daemon is not running")
        return self._proc

    def _spec(self) -> Spec:
        return Spec(
            name=f"triggerhub daemon ({self.config_path.name})",
            argv=[sys.executable, "-m", "hub", "run", "-c", str(self.config_path)],
            cwd=self.workdir,
            log_path=self.log_path,
            env=self.env,
            ready=self._ready,
            ready_timeout=self.ready_timeout,
            open_files=self.open_files,
        )

    def _ready(self) -> None:
        conn = http.client.HTTPConnection(self.api_host, self.api_port, timeout=2)
        try:
            conn.request("GET", "/readyz")
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise ConnectionError(f"/readyz answered {response.status}")
