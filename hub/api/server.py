"""Running the API application on a TCP port inside the daemon's event loop."""

from __future__ import annotations

import ipaddress

import structlog
from aiohttp import web

from hub.api.state import CONTEXT
from hub.errors import ConfigError

log = structlog.get_logger("hub.api")


class ApiServer:
    def __init__(self, app: web.Application, *, shutdown_timeout: float = 10.0) -> None:
        self.app = app
        self.shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on `host:port` (port 0 picks a free one; see `port`)."""
        if self.app[CONTEXT].settings.token is None and not is_loopback(host):
            raise ConfigError(
                f"the API would listen on {host!r} without a token; set an API token or "
                "listen on a loopback address"
            )
        runner = web.AppRunner(self.app, shutdown_timeout=self.shutdown_timeout)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("api listening", url=self.url)

    @property
    def port(self) -> int:
        """The bound port (the one picked when started with port 0)."""
        return self._address()[1]

    @property
    def url(self) -> str:
        host = self._address()[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def _address(self) -> tuple[str, int]:
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("the API server is not started")
        # A socket address: (host, port) for IPv4, (host, port, flowinfo, scope) for IPv6.
        host, port = self._runner.addresses[0][:2]
        return str(host), int(port)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
            log.info("api stopped")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
