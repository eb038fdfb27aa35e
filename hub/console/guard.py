"""What every console response gets: a login check, CSRF on state-changing requests, and
headers that forbid inline script and style, framing and sniffing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.api.state import CONTEXT, ApiContext
from hub.console.activity import Activity
from hub.console.session import CSRF_FIELD, SAFE_METHODS, csrf_ok, csrf_token, logged_in

ACTIVITY = web.AppKey("console_activity", Activity)
# No inline script or style anywhere: the pages load /ui/static files only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# Reachable before logging in: the login page itself and the files it loads.
_OPEN = ("/ui/login", "/ui/static/")


def api_context(request: web.Request) -> ApiContext:
    return request.config_dict[CONTEXT]


def activity(request: web.Request) -> Activity:
    return request.config_dict[ACTIVITY]


def token_of(request: web.Request) -> str | None:
    return api_context(request).settings.token


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _checked(request, handler)
    for name, value in HEADERS.items():
        if not (name == "Cache-Control" and request.path.startswith("/ui/static/")):
            response.headers.setdefault(name, value)
    return response


async def _checked(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = token_of(request)
    signed_in = logged_in(request, token)
    if not request.path.startswith(_OPEN) and not signed_in:
        if request.method in SAFE_METHODS and request.path != "/ui/live":
            raise web.HTTPSeeOther(f"/ui/login?next={quote(request.path_qs, safe='')}")
        raise web.HTTPUnauthorized(text="log in first")
    if request.method not in SAFE_METHODS:
        form = await request.post()
        value = form.get(CSRF_FIELD)
        # Before logging in, the login form carries a token that does not derive from the API
        # token, so the login page reveals nothing about it.
        expected = token if signed_in else None
        if not csrf_ok(request, expected, value if isinstance(value, str) else None):
            raise web.HTTPForbidden(text="missing or wrong CSRF token; reload the page")
    return await handler(request)


async def template_context(request: web.Request) -> dict[str, Any]:
    token = token_of(request)
    signed_in = logged_in(request, token)
    return {
        "csrf": csrf_token(token if signed_in else None),
        "signed_in": signed_in,
        "auth": token is not None,
        "path": request.path,
        "static": lambda name: _static_url(request, name),
    }


def _static_url(request: web.Request, name: str) -> str:
    # Versioned by content hash, so a new release's files are never served from a stale cache.
    return str(request.app.router["static"].url_for(filename=name))
