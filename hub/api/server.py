"""Running the API application on a TCP port inside the daemon's event loop.

Every connection is an `ApiConnection`: it must send its request headers within
`header_timeout`, and counts towards `max_connections` (lowered to fit the open-files limit),
so idle or trickling clients cannot exhaust the process's file descriptors."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable

import structlog
from aiohttp import web

from hub.api.accept_errors import AcceptErrors
from hub.api.connection import ApiConnection
from hub.api.open_connections import OpenConnections, fitting_limit
from hub.api.state import CONTEXT
from hub.api.throttle import Throttle
from hub.api_defaults import DEFAULT_TOKEN_ENV, HEADER_TIMEOUT, MAX_CONNECTIONS
from hub.errors import ConfigError

log = structlog.get_logger("hub.api")
REFUSALS_LOG_EVERY = 10.0
_Factory = Callable[[], ApiConnection]


class ApiServer:
    def __init__(
        self,
        app: web.Application,
        *,
        shutdown_timeout: float = 10.0,
        header_timeout: float = HEADER_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        token_env: str = DEFAULT_TOKEN_ENV,
    ) -> None:
        self.app = app
        self.shutdown_timeout = shutdown_timeout
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.token_env = token_env
        self.connections = OpenConnections(max_connections)
        self._accept_errors = AcceptErrors(self.connections)
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on `host:port` (port 0 picks a free one; see `port`)."""
        if self.app[CONTEXT].settings.token is None and not is_loopback(host):
            raise ConfigError(
                f"the API would listen on {host!r} without a token; put a token in the "
                f"environment variable {self.token_env} (named by hub.api.token_env), or "
                "listen on a loopback address"
            )
        self.connections.limit = fitting_limit(self.max_connections)
        if self.connections.limit < self.max_connections:
            log.info(
                "api connection limit lowered to fit the open-files limit (ulimit -n)",
                max_connections=self.max_connections,
                limit=self.connections.limit,
            )
        # Access lines stay off, as before: the API logs what it decides, not every request.
        runner = web.AppRunner(self.app, shutdown_timeout=self.shutdown_timeout, access_log=None)
        await runner.setup()
        try:
            await _Site(runner, host, port, self._connection_factory(runner)).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._accept_errors.install()
        log.info("api listening", url=self.url, max_connections=self.connections.limit)

    def _connection_factory(self, runner: web.AppRunner) -> _Factory:
        server = runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        refusals = Throttle(REFUSALS_LOG_EVERY)

        def connection() -> ApiConnection:
            return ApiConnection(
                server,
                loop=loop,
                connections=self.connections,
                header_timeout=self.header_timeout,
                refusals=refusals,
                access_log=None,
            )

        return connection

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
            self._accept_errors.uninstall()
            log.info("api stopped")


class _Site(web.BaseSite):
    """aiohttp's TCPSite, with our connection class instead of its request handler."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, factory: _Factory) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._factory = factory

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        self._server = await asyncio.get_running_loop().create_server(
            self._factory, self._host, self._port, backlog=self._backlog
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
