"""`triggerhub invoke FUNCTION --batch FILE`: queue many CloudEvents, a request (and a durable
commit) per MAX_BATCH_EVENTS of them.

FILE (or `-` for stdin) is a JSON array of structured CloudEvents or JSON Lines, one event per
line. Each request is queued whole or not at all; on a refusal the command stops, says which
events were queued before it, and names every invalid event by its place in the file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hub.batchsize import MAX_BATCH_EVENTS
from hub.client import ApiError, Client
from hub.tables import render

COLUMNS = ["n", "event_id", "id", "status"]
_SINGLE_ONLY = ("data", "idempotency_key", "wait")


class BatchFileError(Exception):
    """The file is not a batch of events; the message says where."""


def read_events(source: str) -> list[dict[str, Any]]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    try:
        events: list[Any]
        if text.lstrip().startswith("["):
            events = json.loads(text)
        else:
            events = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise BatchFileError(f"{source}: not a JSON array nor JSON Lines: {exc}") from None
    for n, event in enumerate(events, 1):
        if not isinstance(event, dict):
            raise BatchFileError(f"{source}: event {n} is not a JSON object")
    if not events:
        raise BatchFileError(f"{source}: no events")
    return [dict(event) for event in events]


def invoke_batch(client: Client, args: argparse.Namespace) -> int:
    given = [f"--{name.replace('_', '-')}" for name in _SINGLE_ONLY if getattr(args, name)]
    if given:
        print(
            f"triggerhub: {', '.join(given)} do not apply to --batch: each event carries its "
            "own data and idempotencykey",
            file=sys.stderr,
        )
        return 2
    function, source, delay, as_json = args.function, args.batch, args.delay, args.json
    try:
        events = read_events(source)
    except (BatchFileError, OSError) as exc:
        print(f"triggerhub: {exc}", file=sys.stderr)
        return 2
    items: list[dict[str, Any]] = []
    for start in range(0, len(events), MAX_BATCH_EVENTS):
        chunk = events[start : start + MAX_BATCH_EVENTS]
        try:
            receipt = client.submit_many(function, chunk, delay=delay)
        except ApiError as exc:
            _report_refusal(exc, start, len(chunk), len(events))
            break
        items.extend(receipt["items"])
    queued = sum(1 for item in items if item["status"] == "queued")
    if as_json:
        print(json.dumps({"queued": queued, "duplicates": len(items) - queued, "items": items}))
    else:
        rows = [{"n": n, **item} for n, item in enumerate(items, 1)]
        print(render(rows, COLUMNS))
        print(f"\n{queued} queued, {len(items) - queued} duplicates of {len(events)} events")
    return 0 if len(items) == len(events) else 1


def _report_refusal(exc: ApiError, start: int, size: int, total: int) -> None:
    print(
        f"triggerhub: events {start + 1}-{start + size} of {total} were refused, nothing of "
        f"them queued ({start} before them were): {exc}",
        file=sys.stderr,
    )
    invalid = exc.body.get("invalid", []) if isinstance(exc.body, dict) else []
    for entry in invalid:
        print(
            f"  event {start + entry['index'] + 1} (id {entry['event_id']!r}): {entry['error']}",
            file=sys.stderr,
        )
