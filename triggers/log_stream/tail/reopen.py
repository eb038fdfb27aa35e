"""Finding a checkpointed file again on restart, by identity rather than by name: at its last
path, else renamed within its folder (rotated while the daemon was stopped); and only if its
first bytes are still what they were (an inode reused by another file is not the file)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from structlog.typing import FilteringBoundLogger

from triggers.log_stream.tail.positions import Position
from triggers.log_stream.tail.tracked import TrackedFile


def reopen(position: Position, log: FilteringBoundLogger) -> TrackedFile | None:
    for path in _candidates(position):
        try:
            tracked = TrackedFile.open(path, position.name)
        except OSError:
            continue
        if tracked.key == position.key and _same_content(tracked, position):
            # If it shrank meanwhile, the first poll sees the truncation.
            tracked.offset = tracked.acked = position.offset
            tracked.epoch = position.epoch
            return tracked
        tracked.close()
    log.warning(
        "file gone while stopped; its unread tail is lost",
        path=position.path,
        offset=position.offset,
    )
    return None


def _candidates(position: Position) -> Iterable[str]:
    yield position.path
    folder = os.path.dirname(position.path) or "."
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.path != position.path and entry.inode() == position.key.ino:
                yield entry.path
        except OSError:
            continue


def _same_content(tracked: TrackedFile, position: Position) -> bool:
    return position.head is None or position.head.matches(tracked.fd)
