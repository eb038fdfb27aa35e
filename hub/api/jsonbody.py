"""JSON responses rendered with orjson, every string passed through the redactor first: a
response is an exit, and error texts, trigger statuses and records may quote a secret."""

from __future__ import annotations

import json
from typing import Any

import orjson
from aiohttp import web

from hub.redact import redact_json


def dumps(value: Any) -> bytes:
    value = redact_json(value)
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
