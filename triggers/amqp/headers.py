"""AMQP field tables made JSON-safe, for the `amqpheaders` extension and the content hash."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# Added by the broker on redelivery or dead-lettering, not by the publisher: a content hash
# must not change because a message went round once more.
BROKER_HEADERS = ("x-delivery-count", "x-death", "x-first-death-", "x-last-death-", "x-received-")


def json_safe(value: Any) -> Any:
    """Strings, numbers, booleans and null as they are; bytes as UTF-8 text when they decode
    (else `base64:…`); decimals as text (no precision lost); timestamps as RFC 3339."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return str(value)


def publisher_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if not k.startswith(BROKER_HEADERS)}
