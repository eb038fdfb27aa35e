"""Reading request bodies within the configured size limit."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hub.api.errors import ApiError
from hub.api.state import context


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than the limit of {limit} bytes", limit=limit)


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to pass `limit`: up front from
    Content-Length, or while reading a chunked body (which declares no length). A body that
    does not arrive within the API's body timeout gets 408, so a client trickling bytes
    cannot hold a connection and a handler for ever."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    content = request.content
    if content.is_eof():
        # Arrived whole with its headers (the common small POST): nothing to wait for, so no
        # deadline to arm and no iteration over chunks.
        body = content.read_nowait()
        if len(body) > limit:
            raise _too_large(limit)
        return body
    timeout = context(request).settings.body_timeout
    try:
        async with asyncio.timeout(timeout):
            return await _read(request, limit)
    except TimeoutError:
        raise ApiError(
            408,
            f"the request body did not arrive within {timeout:g}s (hub.api.body_timeout)",
        ) from None


async def _read(request: web.Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.content.iter_any():
        body.extend(chunk)
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)
