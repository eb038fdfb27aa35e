"""The console's session: the API token kept in an HttpOnly, SameSite=Strict cookie, and the
CSRF token every state-changing request made with that cookie must carry.

The CSRF token is derived from the API token (an HMAC), so it needs no server-side state,
survives a daemon restart, and changes when the token is rotated. Without an API token
(loopback only) it is derived from a secret drawn when the process starts."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

COOKIE = "triggerhub_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PROCESS_SECRET = secrets.token_bytes(32)


def csrf_token(api_token: str | None) -> str:
    key = _PROCESS_SECRET if api_token is None else api_token.encode()
    return hmac.new(key, b"triggerhub console csrf", hashlib.sha256).hexdigest()


def same(given: str | None, expected: str) -> bool:
    if given is None:
        return False
    # Constant-time, so a guess learns nothing from how long the comparison took.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def cookie_token(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE)


def logged_in(request: web.Request, api_token: str | None) -> bool:
    return api_token is None or same(cookie_token(request), api_token)


def csrf_ok(request: web.Request, api_token: str | None, form_value: str | None = None) -> bool:
    given = request.headers.get(CSRF_HEADER, form_value)
    return same(given, csrf_token(api_token))


def set_session(response: web.StreamResponse, request: web.Request, api_token: str) -> None:
    response.set_cookie(
        COOKIE,
        api_token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
