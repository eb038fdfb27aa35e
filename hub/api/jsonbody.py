"""JSON responses rendered with orjson."""

from __future__ import annotations

import json
from typing import Any

import orjson
from aiohttp import web


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        # Text decoded from raw headers or paths may carry lone surrogates, which orjson
        # refuses; the stdlib escapes them instead of failing the response.
        return json.dumps(value, default=str).encode()


def json_response(
    value: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(value), status=status, headers=headers, content_type="application/json"
    )
