"""The way into the clouds' routes: who may call them, and errors in each cloud's shape.

A request signed in a cloud's scheme is checked against the configured access keys
(`hub.api.access_keys`). With no keys configured, a signed request is admitted only when the
API has no token either (the API's rules admit anyone then); otherwise it is refused. A
request without a cloud signature follows the API's usual token rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from hub.api.body import read_limited
from hub.api.clouds.errors import CloudError, ErrorShape
from hub.api.clouds.keys import AccessKeys
from hub.api.clouds.signatures import Signed, signed, verify
from hub.api.errors import ApiError
from hub.api.state import context
from hub.api.throttle import Throttle
from hub.errors import InvalidStateError, NotFoundError, StoreError, UnknownFunctionError
from hub.ids import new_id

log = structlog.get_logger("hub.api.clouds")
REFUSALS_LOG_EVERY = 10.0


@dataclass(slots=True)
class _Exchange:
    """What one cloud request's middleware and handler share (each request is its own task,
    so a context variable holds it for exactly that request)."""

    request_id: str = field(default_factory=new_id)
    body: bytes | None = None


_EXCHANGE: ContextVar[_Exchange] = ContextVar("triggerhub_cloud_exchange")


class CloudRoutes:
    """One cloud's routes: the paths they live under and the shape of their errors."""

    def __init__(self, name: str, paths: str, errors: ErrorShape, routes: web.RouteTableDef):
        self.name = name
        self.paths = re.compile(paths)
        self.errors = errors
        self.routes = routes


async def cloud_body(request: web.Request) -> bytes:
    """The request body within the API's size limit, read once (the signature check may
    have read it already)."""
    exchange = _EXCHANGE.get()
    if exchange.body is None:
        exchange.body = await read_limited(request, context(request).settings.max_body_bytes)
    return exchange.body


def request_id() -> str:
    """The id of this request in the cloud's answers (errors included)."""
    return _EXCHANGE.get().request_id


def cloud_gate(
    clouds: Sequence[CloudRoutes], keys: AccessKeys, token_auth: Middleware | None
) -> Middleware:
    """One middleware in place of the API's token check: signed requests to a cloud's routes
    are checked here, everything else goes through `token_auth` (None: no token)."""

    async def token_rules(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await (handler(request) if token_auth is None else token_auth(request, handler))

    refusals = Throttle(REFUSALS_LOG_EVERY)

    async def check(request: web.Request, cloud: CloudRoutes, sig: Signed) -> None:
        try:
            if keys:
                key = keys.get(sig.key_id)
                if key is None:
                    raise CloudError(403, f"unknown access key {sig.key_id!r}", "access_key")
                verify(request, await cloud_body(request), sig, key)
            elif token_auth is not None:
                raise CloudError(
                    403,
                    "signed requests need access keys configured for the hub (hub.api.access_keys)",
                    "access_key",
                )
        except CloudError as exc:
            # An operator sees why signed calls fail; a flood of them gives one line per interval.
            held = refusals.allow() if exc.status == 403 else None
            if held is not None:
                log.warning(
                    "signed request refused",
                    api=cloud.name,
                    access_key=sig.key_id,
                    reason=exc.message,
                    refused_since_last=held,
                )
            raise

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        cloud = next((c for c in clouds if c.paths.match(request.path)), None)
        if cloud is None:
            return await token_rules(request, handler)
        _EXCHANGE.set(_Exchange())
        try:
            sig = signed(request)
            if sig is None:
                return await token_rules(request, handler)
            await check(request, cloud, sig)
            return await handler(request)
        except CloudError as exc:
            return _answer(request, cloud, exc.status, exc.message, exc.code)
        except ApiError as exc:
            return _answer(request, cloud, exc.status, exc.message, None)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _answer(request, cloud, exc.status, exc.reason, None)
        except (NotFoundError, UnknownFunctionError) as exc:
            return _answer(request, cloud, 404, str(exc), None)
        except InvalidStateError as exc:
            return _answer(request, cloud, 409, str(exc), None)
        except StoreError as exc:
            log.warning("store unavailable", path=request.path, error=str(exc))
            return _answer(
                request, cloud, 503, "the store is unavailable; nothing was accepted", None
            )
        except Exception as exc:
            log.exception(
                "request failed", method=request.method, path=request.path, error=repr(exc)
            )
            return _answer(request, cloud, 500, "internal error; see the daemon log", "internal")

    return gate


def _answer(
    request: web.Request, cloud: CloudRoutes, status: int, message: str, code: str | None
) -> web.Response:
    return cloud.errors.response(status, message, code, request_id())
