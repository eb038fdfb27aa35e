"""Reading request bodies within the configured size limit."""

from __future__ import annotations

from aiohttp import web

from hub.api.errors import ApiError


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than the limit of {limit} bytes", limit=limit)


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to pass `limit`: up front from
    Content-Length, or while reading a chunked body (which declares no length)."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.content.iter_any():
        body.extend(chunk)
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)
