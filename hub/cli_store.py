"""`triggerhub store check`: SQLite's full integrity check of a store file, for an operator
deciding whether to restore a backup. It reads a consistent snapshot and takes no lock, so it
runs on a stopped store and beside a running daemon alike."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

SHOWN = 20


def add_store_commands(sub: Any) -> None:
    store = sub.add_parser("store", help="inspect the SQLite store")
    actions = store.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "check",
        help="run SQLite's full integrity check on the store file (exit 0: whole, 1: not)",
    )
    check.add_argument(
        "file", nargs="?", type=Path, help="the store file (default: the config's store.url)"
    )
    check.add_argument(
        "-c",
        "--config",
        type=Path,
        default=Path("config/triggers.yaml"),
        help="read store.url from this triggers file when FILE is not given",
    )
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    from hub.errors import ConfigError
    from hub.store.integrity import Unreadable, check

    try:
        path = args.file or _configured_file(args.config)
    except ConfigError as exc:
        print(f"triggerhub: {exc}", file=sys.stderr)
        return 1
    if not path.exists():
        print(f"{path}: no such file", file=sys.stderr)
        return 1
    try:
        report = check(path)
    except Unreadable as exc:
        print(f"{path}: {exc}")
        return 1
    if report.ok:
        size = _size(path.stat().st_size)
        print(f"{path}: ok (integrity_check of {size} in {report.seconds:.1f} s)")
        return 0
    print(f"{path}: damaged, integrity_check found {_count(report.problems)}:")
    for line in report.problems[:SHOWN]:
        print(f"  {line}")
    if len(report.problems) > SHOWN:
        print(f"  … and {len(report.problems) - SHOWN} more")
    print(
        "Restore the file from a backup with the daemon stopped; or move it and its -wal file "
        "aside to start an empty store."
    )
    return 1


def _configured_file(config: Path) -> Path:
    from hub.config.loader import load_config
    from hub.errors import ConfigError
    from hub.store import sqlite_path

    path = sqlite_path(load_config(config).hub.store.url)
    if path is None:
        raise ConfigError(
            f"{config}: the store is not a SQLite file; PostgreSQL checks its own pages "
            "(see its amcheck extension)"
        )
    return Path(path)


def _count(problems: list[str]) -> str:
    return "1 problem" if len(problems) == 1 else f"{len(problems)} problems"


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"
