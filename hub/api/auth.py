"""Bearer-token authentication for every route but the health probes.

The web console (hub/console) authenticates its own pages; its browser calls the API's routes
with the session cookie instead of the header, and then a state-changing request must also
carry the session's CSRF token."""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hub.api.errors import ApiError
from hub.console.paths import is_console_path
from hub.console.session import SAFE_METHODS, cookie_token, csrf_ok

# Probes run without credentials (kubelet, load balancers) and reveal nothing.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="triggerhub"'}


def bearer_auth(token: str) -> Middleware:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS or is_console_path(request.path):
            return await handler(request)
        if "Authorization" not in request.headers and (cookie := cookie_token(request)):
            _check_cookie(request, cookie, token)
            return await handler(request)
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        # Constant-time, so the comparison does not leak how much of a guess was right.
        if not hmac.compare_digest(given, expected):
            message = (
                "missing Authorization header; send 'Authorization: Bearer <token>'"
                if "Authorization" not in request.headers
                else "invalid bearer token"
            )
            raise ApiError(401, message, headers=_CHALLENGE)
        return await handler(request)

    return check


def _check_cookie(request: web.Request, cookie: str, token: str) -> None:
    if not hmac.compare_digest(cookie.encode("utf-8", "surrogateescape"), token.encode()):
        raise ApiError(401, "the console session is not valid; log in again", headers=_CHALLENGE)
    if request.method not in SAFE_METHODS and not csrf_ok(request, token):
        raise ApiError(403, "missing or wrong X-CSRF-Token header for a console session")
