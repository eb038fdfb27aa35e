"""A small tmpfs that tests fill up and free again: a real full disk, not a simulated one.

Mounting needs root, which the test machines and CI have; where it fails the test fails with
the reason (never skips), since what is under test is exactly the full disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str, owner: tuple[int, int] | None = None) -> Iterator[Path]:
    """`owner`: (uid, gid) of the file system's root, for a server running as another user."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0755"
    if owner is not None:
        options = f"size={size},mode=0700,uid={owner[0]},gid={owner[1]}"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"cannot mount a tmpfs on {path} (these tests need root): {done.stderr.strip()}"
        )
    try:
        yield path
    finally:
        # Lazy: a daemon that failed the test may still hold files open here.
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path: Path, leave: int = 0) -> Path:
    """Write a file that takes all of the file system's space but `leave` bytes (rounded to
    pages); delete it to give the space back."""
    filler = path / "filler"
    with open(filler, "wb", buffering=0) as f:
        while (room := free_bytes(path) - leave) > 0:
            try:
                f.write(b"\0" * min(CHUNK, room))
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return filler
