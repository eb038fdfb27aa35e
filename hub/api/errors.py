"""Every error the API returns is a JSON body `{"error": "<what is wrong>", ...}`: errors raised
by handlers, the hub's own errors, and aiohttp's (unknown route, wrong method, body too big)."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from hub.api.jsonbody import json_response
from hub.errors import (
    InvalidStateError,
    NotFoundError,
    StoreError,
    StoreFullError,
    UnknownFunctionError,
)

log = structlog.get_logger("hub.api")

# How soon a client may try again when the store cannot take the request now.
STORE_RETRY_AFTER = "5"
# aiohttp exceptions whose headers still mean something once the body is JSON.
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Location")
# The rest of a request that timed out may still be on its way: the connection cannot carry
# another request.
_CLOSE_AFTER = frozenset({408})


class ApiError(Exception):
    """Raise from a handler to answer `status` with `{"error": message, **extra}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    return json_response({"error": message, **extra}, status=status, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.message, exc.headers, **exc.extra)
        if exc.status in _CLOSE_AFTER:
            response.force_close()
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kept = {h: exc.headers[h] for h in _KEPT_HEADERS if h in exc.headers}
        return error_response(exc.status, _reason(exc), kept)
    except (NotFoundError, UnknownFunctionError, InvalidStateError) as exc:
        status = 409 if isinstance(exc, InvalidStateError) else 404
        return error_response(status, str(exc))
    except StoreFullError as exc:
        # Nothing was accepted; the store writes again by itself once space returns.
        return error_response(
            507,
            "the store cannot write: it is out of disk space; nothing was accepted, retry later",
            {"Retry-After": STORE_RETRY_AFTER},
            reason=str(exc),
        )
    except StoreError as exc:
        log.warning("store unavailable", method=request.method, path=request.path, error=str(exc))
        return error_response(
            503,
            "the store is unavailable; nothing was accepted, retry later",
            {"Retry-After": STORE_RETRY_AFTER},
        )
    except Exception as exc:
        log.exception("request failed", method=request.method, path=request.path, error=repr(exc))
        return error_response(500, "internal error; see the daemon log")


def _reason(exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return "no such route"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"method {exc.method} is not allowed here; allowed: {allowed}"
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return "request body too large"
    return exc.reason
