"""Without an API token the API listens on loopback only, and then answers only requests that
name a loopback host. A web page the browser fetched from another site can otherwise reach it
by DNS rebinding: its name is made to resolve to 127.0.0.1, so the browser counts the API as
that site's own origin, reads the console's pages (the CSRF token with them) and the events,
and stops, redrives or invokes at will. Such a request carries the site's name as its Host.

Nor does it answer a request that changes something sent by another site's page (a form or a
fetch to http://127.0.0.1:…): the browser says where it comes from in `Origin`. Clients that
are not browsers send no Origin and are answered."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.api.errors import ApiError
from hub.console.session import SAFE_METHODS

# Probes are answered whoever asks: they reveal nothing.
_OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def is_loopback_name(host: str) -> bool:
    """`localhost` (and names under it) or a loopback address (`127.0.0.1`, `::1`)."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port."""
    if host_header.startswith("["):  # [::1]:8080
        return host_header.partition("]")[0] + "]"
    return host_header.rpartition(":")[0] if ":" in host_header else host_header


@lru_cache(maxsize=64)
def _is_loopback_host(host_header: str) -> bool:
    # Parsing an address costs more than the rest of the check: a client sends the same Host
    # on every request. Bounded, since any client may send any Host.
    return is_loopback_name(host_name(host_header))


@web.middleware
async def loopback_host_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path not in _OPEN_PATHS and not _is_loopback_host(request.host):
        raise ApiError(
            403,
            "without an API token only requests to a loopback host name (localhost, 127.0.0.1, "
            "[::1]) are answered; set an API token (hub.api.token_env) to reach it by another name",
        )
    if request.method not in SAFE_METHODS and not _from_loopback_page(request):
        raise ApiError(
            403,
            "without an API token a request from a web page is answered only if the page is "
            "served from a loopback host; set an API token (hub.api.token_env)",
        )
    return await handler(request)


def _from_loopback_page(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not sent by a browser
        return True
    scheme, _, rest = origin.partition("://")
    # "null": a sandboxed frame, a file:// page, a redirect across sites.
    return scheme in {"http", "https"} and _is_loopback_host(rest)
