"""Logging in with the API token (kept in an HttpOnly cookie) and out again."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import structlog
from aiohttp import web

from hub.api.throttle import Throttle
from hub.console.guard import token_of
from hub.console.session import end_session, same, set_session

log = structlog.get_logger("hub.console")
REFUSALS_LOG_EVERY = 10.0
_refusals = Throttle(REFUSALS_LOG_EVERY)
routes = web.RouteTableDef()


@routes.get("/login")
@aiohttp_jinja2.template("login.html")
async def login_form(request: web.Request) -> dict[str, Any]:
    next_path = _next(request.query.get("next"))
    if token_of(request) is None:  # no token, no login (loopback only)
        raise web.HTTPSeeOther(next_path)
    return {"next": next_path, "error": None}


@routes.post("/login")
async def log_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    given, next_path = form.get("token"), _next(str(form.get("next", "")))
    token = token_of(request)
    if token is None:
        raise web.HTTPSeeOther(next_path)
    if not isinstance(given, str) or not same(given.strip(), token):
        # The token typed is never shown again, right or wrong, nor logged. A script trying
        # tokens gets one line per interval, with a count, not one per attempt.
        if (held := _refusals.allow()) is not None:
            log.warning(
                "console login refused: wrong token",
                remote=request.remote,
                refused_since_last=held,
            )
        context = {"next": next_path, "error": "That token is not the API token."}
        return aiohttp_jinja2.render_template("login.html", request, context, status=401)
    response = web.HTTPSeeOther(next_path)
    set_session(response, request, token)
    raise response


@routes.post("/logout")
async def log_out(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/ui/login")
    end_session(response)
    raise response


def _next(path: str | None) -> str:
    # Only back into the console: never an open redirect to another site.
    if path and path.startswith("/ui/") and not path.startswith("/ui//"):
        return path
    return "/ui/"
