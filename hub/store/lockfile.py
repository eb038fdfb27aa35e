"""One SQLite file serves one daemon: an exclusive `flock` on `<file>.lock`, held while the store
is open. Two daemons writing one file would each lease and run the same invocations.

The kernel drops a flock when its process exits however it exits, so a killed daemon leaves no
lock behind that could block a restart: the file stays, the lock does not. `triggerhub store
check` does not take it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from hub.errors import StoreError


class StoreLock:
    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.path = store_path.with_name(store_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreError(
                f"store {self.store_path}: cannot create its lock file {self.path}: "
                f"{exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise StoreError(
                f"store {self.store_path} is in use by another triggerhub daemon"
                f"{f' (pid {holder})' if holder else ''}, which holds {self.path}; one SQLite "
                "file serves one daemon: stop that one, or give this one its own store.url "
                "(several daemons share a PostgreSQL store)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # Only to name the holder in the message above; the flock is what excludes.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
