"""The `triggerhub` commands that drive a running daemon through its HTTP API: invoke,
invocations (list, show, stop, redrive) and triggers; their parsers are in hub.cli."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from hub.cli_batch import invoke_batch
from hub.cli_control import is_bulk, run_bulk
from hub.client import Client, client_from_env
from hub.tables import render

FINAL = {"succeeded", "failed", "expired", "stopped"}
INVOCATION_COLUMNS = ["id", "function", "status", "attempts", "created_at", "last_error"]
TRIGGER_COLUMNS = ["name", "type", "state", "events_in", "last_event_at", "lag", "last_error"]


def api_client(args: argparse.Namespace) -> Client:
    listen = None
    if args.config is not None:
        from hub.config.loader import load_config

        listen = load_config(args.config).hub.api.listen
    return client_from_env(args.url, listen)


def invoke(args: argparse.Namespace) -> int:
    client = api_client(args)
    if args.batch is not None:
        return invoke_batch(client, args)
    headers = {"Content-Type": "application/json"}
    if args.delay is not None:
        headers["X-Triggerhub-Delay"] = str(args.delay)
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    data = args.data or "null"
    body = Path(data[1:]).read_bytes() if data.startswith("@") else data.encode()
    created = client.request("POST", f"/v1/functions/{args.function}/invocations", body, headers)
    result = wait_final(client, created["id"], args.timeout) if args.wait else created
    print_record(args, result, single=True)
    return 0 if not args.wait or result.get("status") == "succeeded" else 3


def wait_final(client: Client, inv_id: str, timeout: float) -> Any:
    deadline, pause = time.monotonic() + timeout, 0.05
    while True:
        inv = client.request("GET", f"/v1/invocations/{inv_id}")
        if inv["status"] in FINAL or time.monotonic() > deadline:
            return inv
        time.sleep(pause)
        pause = min(1.0, pause * 1.5)


def list_invocations(args: argparse.Namespace) -> int:
    params = {k: getattr(args, k) for k in ("function", "status", "limit", "cursor")}
    query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    page = api_client(args).request("GET", f"/v1/invocations?{query}")
    if args.json:
        print(json.dumps(page, indent=2))
    else:
        print(render(page["items"], INVOCATION_COLUMNS))
        if page.get("next_cursor"):
            print(f"\nmore: --cursor {page['next_cursor']}")
    return 0


def show(args: argparse.Namespace) -> int:
    print_record(args, api_client(args).request("GET", f"/v1/invocations/{args.id}"), single=True)
    return 0


def stop(args: argparse.Namespace) -> int:
    return _act_on_invocations("stop", args)


def redrive(args: argparse.Namespace) -> int:
    return _act_on_invocations("redrive", args)


def _act_on_invocations(action: str, args: argparse.Namespace) -> int:
    """One invocation by its id, or every one the bulk options select."""
    client = api_client(args)
    if is_bulk(args):
        return run_bulk(client, action, args)
    print_record(args, client.request("POST", f"/v1/invocations/{args.id}/{action}"), single=True)
    return 0


def list_triggers(args: argparse.Namespace) -> int:
    status = api_client(args).request("GET", "/v1/triggers")
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    items = status.get("triggers", status) if isinstance(status, dict) else status
    rows = [
        {"name": name, **info, "lag": lag_text(info.get("lag"), info.get("lag_unit"))}
        for name, info in items.items()
    ]
    print(render(rows, TRIGGER_COLUMNS))
    return 0


def lag_text(lag: float | None, unit: str | None) -> str | None:
    """A trigger's lag rounded to what its unit means: whole records, messages or bytes;
    seconds to the millisecond."""
    if lag is None:
        return None
    if unit == "seconds":
        return f"{lag:.3f} s"
    if unit is None:
        return f"{lag:.6g}"
    count = round(lag)
    return f"{count} {unit.removesuffix('s') if count == 1 else unit}"


def print_record(args: argparse.Namespace, record: Any, *, single: bool) -> None:
    if args.json or not isinstance(record, dict) or "status" not in record:
        print(json.dumps(record, indent=2))
        return
    for key in (
        "id",
        "function",
        "status",
        "condition",
        "attempts",
        "approximate_invoke_count",
        "created_at",
        "not_before",
        "started_at",
        "finished_at",
        "last_error",
        "destination_error",
    ):
        if record.get(key) is not None:
            print(f"{key:26} {record[key]}")
    if record.get("response") is not None:
        print(f"{'response':26} {json.dumps(record['response'])}")
    for step in record.get("history", []):
        print(f"  {step['at']}  {step['status']:<16} {step.get('detail') or ''}".rstrip())
