"""The durable form of a tailer's state: one JSON checkpoint per trigger listing every tracked
file's identity and the offset before which every line is already enqueued."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from triggers.log_stream.tail.identity import FileKey, Head

VERSION = 1


@dataclass(frozen=True, slots=True)
class Position:
    key: FileKey
    path: str  # where the file was last seen: looked at first on restart
    name: str  # where it was first seen
    offset: int
    epoch: int
    head: Head | None = None


def encode_positions(positions: Iterable[Position]) -> str:
    files = [
        {
            "dev": p.key.dev,
            "ino": p.key.ino,
            "path": p.path,
            "name": p.name,
            "offset": p.offset,
            "epoch": p.epoch,
            **({"head": [p.head.length, p.head.crc]} if p.head is not None else {}),
        }
        for p in sorted(positions, key=lambda p: p.key)
    ]
    return orjson.dumps({"v": VERSION, "files": files}).decode()


def decode_positions(text: str) -> list[Position]:
    """Raises ValueError for anything but what `encode_positions` writes."""
    try:
        raw = orjson.loads(text)
        if raw.get("v") != VERSION:
            raise ValueError(f"unknown checkpoint version {raw.get('v')!r}")
        return [_position(entry) for entry in raw["files"]]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed file-position checkpoint: {exc!r}") from None


def _position(entry: dict[str, object]) -> Position:
    head = entry.get("head")
    return Position(
        key=FileKey(_int(entry["dev"]), _int(entry["ino"])),
        path=str(entry["path"]),
        name=str(entry.get("name", entry["path"])),
        offset=_int(entry["offset"]),
        epoch=_int(entry["epoch"]),
        head=Head(_int(head[0]), _int(head[1])) if isinstance(head, list) else None,
    )


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a non-negative integer, got {value!r}")
    return value
