"""A line's bytes to the value an event carries. Nothing is dropped: bytes that are not UTF-8
are escaped (`\\xff`) and flagged `utf8`, a jsonl line that is not JSON is carried as text and
flagged `json`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

UTF8 = "utf8"
JSON = "json"


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    value: Any  # the text, or the parsed JSON for jsonl
    flags: tuple[str, ...] = ()


def decode(raw: bytes, jsonl: bool, flag: str | None = None) -> Decoded:
    flags = [flag] if flag is not None else []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "backslashreplace")
        flags.append(UTF8)
    value: Any = text
    if jsonl and UTF8 not in flags:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            flags.append(JSON)
    return Decoded(text, value, tuple(flags))
