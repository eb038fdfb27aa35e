"""Stored values made fit to show: pretty JSON, binary data as a safe preview. The templates
escape whatever these return (autoescape), so nothing here needs to."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

PREVIEW_BYTES = 64 * 1024


@dataclass(slots=True, frozen=True)
class Data:
    kind: str  # json, text, binary, none
    text: str
    size: int


def pretty(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return repr(value)


def event_of(raw: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"data_base64": base64.b64encode(raw).decode()}
    return event if isinstance(event, dict) else {"data": event}


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("data", "data_base64")}


def data_of(event: dict[str, Any]) -> Data:
    if "data_base64" in event:
        return _binary(str(event["data_base64"]))
    if "data" not in event or event["data"] is None:
        return Data("none", "", 0)
    text = pretty(event["data"])
    return Data("json", _cut(text), len(text.encode()))


def _binary(encoded: str) -> Data:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return Data("binary", "(not valid base64)", len(encoded))
    try:
        return Data("text", _cut(raw.decode("utf-8")), len(raw))
    except UnicodeDecodeError:
        return Data("binary", hexdump(raw[:PREVIEW_BYTES]), len(raw))


def _cut(text: str) -> str:
    if len(text) <= PREVIEW_BYTES:
        return text
    return text[:PREVIEW_BYTES] + f"\n… ({len(text) - PREVIEW_BYTES} more characters)"


def hexdump(raw: bytes) -> str:
    lines = []
    for offset in range(0, len(raw), 16):
        chunk = raw[offset : offset + 16]
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {chunk.hex(' '):<47}  {shown}")
    return "\n".join(lines)


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def number(value: float | int | None) -> str:
    """A figure as people read it: whole numbers with separators, others to 3 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3g}"
