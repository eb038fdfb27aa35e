"""`http` target: POST the event in the CloudEvents HTTP binding, binary mode.

`ce-*` headers carry the attributes and the body carries the data. 2xx succeeds; 408, 429 and
5xx are retried (honouring Retry-After); any other 4xx cannot succeed and is not retried."""

from __future__ import annotations

import base64
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson

from hub import clock
from hub.config.functions import HttpTarget
from hub.errors import FunctionError, NonRetryableError, RetryAfter
from hub.events import WireEvent
from hub.targets.base import TargetResult
from hub.telemetry.context import TRACEPARENT, current_traceparent

_BODY_IN_ERROR = 500


def binary_mode(event: WireEvent) -> tuple[dict[str, str], bytes]:
    """Headers and body from the stored JSON itself: no Event is built for an http target."""
    attributes = event.attributes()
    data = attributes.pop("data", None)
    data_base64 = attributes.pop("data_base64", None)
    contenttype = attributes.pop("datacontenttype", None)
    headers = {
        f"ce-{name}": _header_value(value)
        for name, value in attributes.items()
        if value is not None
    }
    if data_base64 is not None:
        body = base64.b64decode(data_base64)
        headers["content-type"] = contenttype or "application/octet-stream"
    elif data is None:
        body = b""
    else:
        body = orjson.dumps(data)
        headers["content-type"] = contenttype or "application/json"
    return headers, body


def _header_value(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    # Header values must be latin-1 safe; anything else travels percent-free as base64.
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return "base64:" + base64.b64encode(text.encode()).decode()
    return text


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - clock.now())
    except (TypeError, ValueError):
        return None


class HttpFunction:
    def __init__(self, config: HttpTarget, session: aiohttp.ClientSession) -> None:
        self._config = config
        self._session = session

    async def __call__(self, event: WireEvent) -> TargetResult:
        headers, body = binary_mode(event)
        headers.update(self._config.headers)
        traceparent = current_traceparent.get()
        if traceparent is not None:
            headers[TRACEPARENT] = traceparent
        try:
            async with self._session.post(self._config.url, data=body, headers=headers) as resp:
                raw = await resp.read()
                return self._outcome(resp, raw)
        except aiohttp.ClientError as exc:
            raise FunctionError(f"HTTP request to {self._config.url} failed: {exc}") from exc

    @staticmethod
    def _outcome(resp: aiohttp.ClientResponse, raw: bytes) -> TargetResult:
        status = resp.status
        payload = _decode(raw, resp.content_type)
        if 200 <= status < 300:
            return TargetResult(payload=payload, status_code=status)
        message = f"HTTP {status}: {raw[:_BODY_IN_ERROR].decode('utf-8', 'replace')}".strip()
        if status in (429, 503):
            wait = retry_after_seconds(resp.headers.get("Retry-After"))
            if wait is not None:
                raise RetryAfter(wait, message, status_code=status)
        if status in (408, 429) or status >= 500:
            raise FunctionError(message, status_code=status)
        raise NonRetryableError(message, status_code=status)

    async def close(self) -> None:
        return None


def _decode(raw: bytes, content_type: str) -> object:
    if not raw:
        return None
    if content_type.endswith("json"):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", "replace")
