"""The CLI's client of a running daemon's HTTP API (stdlib only: the CLI is synchronous)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from hub.api_defaults import DEFAULT_LISTEN, DEFAULT_TOKEN_ENV

DEFAULT_URL = f"http://{DEFAULT_LISTEN}"


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        message = body.get("error") if isinstance(body, dict) else str(body)
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, url: str, token: str | None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return _decode(resp.read())
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, _decode(exc.read())) from None
        except urllib.error.URLError as exc:
            raise ConnectionError(
                f"cannot reach the triggerhub API at {self.url}: {exc.reason}"
            ) from None


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def client_from_env(url: str | None, listen: str | None) -> Client:
    """`--url`, then TRIGGERHUB_URL, then the config file's `hub.api.listen`."""
    base = url or os.environ.get("TRIGGERHUB_URL")
    if not base and listen:
        host, _, port = listen.rpartition(":")
        base = f"http://{host or '127.0.0.1'}:{port}"
    return Client(base or DEFAULT_URL, os.environ.get(DEFAULT_TOKEN_ENV))
