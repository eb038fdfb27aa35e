"""One line as read from a file: its bytes and where they are, before any decoding."""

from __future__ import annotations

from dataclasses import dataclass

from triggers.log_stream.tail.identity import FileKey

SPLIT = "split"  # longer than max_line_bytes: cut, the rest follows as the next line
INCOMPLETE = "incomplete"  # the file was rotated away without a final newline


@dataclass(frozen=True, slots=True)
class Line:
    key: FileKey
    epoch: int  # fixed when the file was first seen, renewed when it is truncated
    name: str  # the path the file was first seen at (events report this)
    path: str  # where it is now
    offset: int
    end: int  # the offset just past the line and its newline
    raw: bytes  # without the newline
    flag: str | None = None
