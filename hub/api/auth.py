"""Bearer-token authentication for every route but the health probes."""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hub.api.errors import ApiError

# Probes run without credentials (kubelet, load balancers) and reveal nothing.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="triggerhub"'}


def bearer_auth(token: str) -> Middleware:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in OPEN_PATHS:
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
