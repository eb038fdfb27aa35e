"""The operator's commands of `triggerhub`: stop or redrive every invocation a filter
selects, and pause or resume a trigger or a function (through the daemon's API)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.client import Client
from hub.config.durations import parse_duration
from hub.timefmt import parse_rfc3339, to_rfc3339

# A bulk action over millions of invocations takes a while; the daemon answers once done.
BULK_TIMEOUT = 3600.0
_FILTERS = ("function", "status", "since", "until", "trigger", "ids")

ClientOf = Callable[[argparse.Namespace], Client]
ApiCommand = Callable[[Any, str, str, Any], argparse.ArgumentParser]


def add_bulk_options(cmd: argparse.ArgumentParser) -> None:
    """`stop`/`redrive ID`, or without ID every invocation the filter options select."""
    cmd.add_argument("id", nargs="?", help="one invocation; leave out to act on a filter")
    cmd.add_argument("--function", help="only this function's invocations")
    cmd.add_argument("--status", action="append", help="only this status (repeat for several)")
    cmd.add_argument(
        "--since",
        help="created at or after: a time ago (30m, 2h, 7d) or an ISO 8601 time with an offset",
    )
    cmd.add_argument("--until", help="created before: a time ago or an ISO 8601 time")
    cmd.add_argument(
        "--trigger", help="only events of this CloudEvents source (as the trigger wrote it)"
    )
    cmd.add_argument("--ids", nargs="+", help="only these invocations")
    cmd.add_argument("--dry-run", action="store_true", help="only count what matches")


def is_bulk(args: argparse.Namespace) -> bool:
    bulk = args.dry_run or any(getattr(args, name) is not None for name in _FILTERS)
    if bulk and args.id is not None:
        raise SystemExit("triggerhub: give an invocation id or filter options, not both")
    if not bulk and args.id is None:
        raise SystemExit(
            "triggerhub: give an invocation id, or filter options (--function, --status, "
            "--since, --until, --trigger, --ids)"
        )
    return bulk


def run_bulk(client: Client, action: str, args: argparse.Namespace) -> int:
    now = time.time()
    selection: dict[str, Any] = {
        "function": args.function,
        "status": args.status,
        "created_after": _when(args.since, now, "--since"),
        "created_before": _when(args.until, now, "--until"),
        "trigger": args.trigger,
        "ids": args.ids,
    }
    body = {k: v for k, v in selection.items() if v is not None}
    if args.dry_run:
        body["dry_run"] = True
    client.timeout = max(client.timeout, BULK_TIMEOUT)
    result = client.request(
        "POST",
        f"/v1/invocations/{action}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.dry_run:
        print(f"matched {result['matched']} (dry run: nothing {_past(action)})")
    else:
        print(f"matched {result['matched']}, {_past(action)} {result['changed']}")
    return 0


def _past(action: str) -> str:
    return "stopped" if action == "stop" else "redriven"


def _when(text: str | None, now: float, option: str) -> str | None:
    """A time ago (`1h`) or an ISO 8601 time with an offset, as the API's strict RFC 3339:
    the CLI reads what people type (`2024-05-01 12:00Z`) as it always did."""
    if text is None:
        return None
    try:
        return to_rfc3339(now - float(parse_duration(text)))
    except ValueError:
        pass
    try:
        return to_rfc3339(_iso8601(text))
    except (ValueError, OverflowError) as exc:
        raise SystemExit(
            f"triggerhub: {option} {text!r} is neither a time ago (30m, 2h, 7d) nor an "
            f"ISO 8601 time with an offset (2024-05-01T12:00:00Z): {exc}"
        ) from None


def _iso8601(text: str) -> float:
    """Epoch seconds of an RFC 3339 or ISO 8601 time (datetime.fromisoformat's forms); an
    offset is required, never local time."""
    try:
        return parse_rfc3339(text)
    except ValueError:
        pass
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no UTC offset (add Z or +HH:MM)")
    return value.timestamp()


def add_pause_commands(
    sub: Any, trig_sub: Any, api_command: ApiCommand, client_of: ClientOf
) -> None:
    """`triggerhub triggers pause|resume NAME` and `triggerhub functions pause|resume NAME`."""
    functions = sub.add_parser("functions", help="pause or resume functions")
    fn_sub = functions.add_subparsers(dest="action", required=True)
    for kind, kind_sub in (("trigger", trig_sub), ("function", fn_sub)):
        for action in ("pause", "resume"):
            what = (
                "stop reading its source, keeping the position"
                if kind == "trigger"
                else "keep its invocations queued without starting any"
            )
            help_ = f"pause a {kind}: {what}" if action == "pause" else f"resume a paused {kind}"
            cmd = api_command(kind_sub, action, help_, _pause_handler(kind, action, client_of))
            cmd.add_argument("name")


def _pause_handler(
    kind: str, action: str, client_of: ClientOf
) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        state = client_of(args).request("POST", f"/v1/{kind}s/{args.name}/{action}")
        if args.json:
            print(json.dumps(state, indent=2))
        elif state.get("paused"):
            print(f"{kind} {state['name']} paused since {state['paused_at']}")
        else:
            print(f"{kind} {state['name']} is not paused")
        return 0

    return handle
