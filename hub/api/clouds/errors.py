"""Errors in each cloud's own shape, so the clouds' SDKs raise their usual exceptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web


class CloudError(Exception):
    """Raise from a cloud route to answer `status` with the cloud's error `code` and `message`;
    `code` None takes the cloud's default code for the status."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


Shape = Callable[[int, str, str, str], web.Response]
"""`(status, code, message, request_id)` → the cloud's error response."""


@dataclass(slots=True, frozen=True)
class ErrorShape:
    shape: Shape
    codes: Mapping[int | str, str]
    """The cloud's code for each HTTP status the hub's own checks answer with, and for the
    hub's names of signature failures (`signature`, `access_key`, `expired`, `internal`)."""
    fallback: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(
        self, status: int, message: str, code: str | None, request_id: str
    ) -> web.Response:
        named = (
            self.codes.get(status, self.fallback) if code is None else self.codes.get(code, code)
        )
        return self.shape(status, named, message, request_id)
