"""Which files of hub/ and triggers/ one Kafka record enters on its way to a Kafka destination.

A pytest plugin: run the Kafka-to-Kafka-destination test with it,

    WALK_OUT=walk.json python -m pytest -p bench.walk tests/kafka/test_trigger.py \
        -k kafka_destination_publishes

and `walk.json` lists, per file, the functions that ran between the first consumer record's
conversion (`_events` in triggers/kafka/source.py) and the Kafka deliverer's return (the record
is published). Every thread is profiled, since the store's writer thread does the commits.
docs/ARCHITECTURE.md gives the count this measures."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

ROOT = str(Path(__file__).resolve().parents[1]) + os.sep
START = ("triggers/kafka/source.py", "_events")
END = "deliver_kafka"


class Walk:
    def __init__(self) -> None:
        self.open = False
        self.closed = False
        self.files: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if self.closed or not frame.f_code.co_filename.startswith(ROOT):
            return
        path = frame.f_code.co_filename[len(ROOT) :].replace(os.sep, "/")
        if not path.startswith(("hub/", "triggers/")):
            return
        name = frame.f_code.co_name
        if event == "call":
            self.open = self.open or (path, name) == START
            if self.open:
                with self._lock:
                    functions = self.files.setdefault(path, {})
                    functions.setdefault(name, threading.current_thread().name)
        # A coroutine's suspension is a return too; only the finished call returns the text.
        elif event == "return" and self.open and name == END and isinstance(arg, str):
            self.closed = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    walk = Walk()
    threading.setprofile(walk.profile)
    sys.setprofile(walk.profile)
    try:
        yield
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        out = {"complete": walk.closed, "count": len(walk.files), "files": walk.files}
        Path(os.environ.get("WALK_OUT", "walk.json")).write_text(
            json.dumps(out, indent=1, sort_keys=True)
        )
