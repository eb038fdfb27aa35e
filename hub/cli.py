"""`triggerhub`: run the daemon, validate a triggers file, print its schema, and drive a running
daemon through its HTTP API (invoke, invocations, triggers)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from hub.cli_control import add_bulk_options, add_pause_commands, is_bulk, run_bulk
from hub.cli_store import add_store_commands
from hub.client import ApiError, Client, client_from_env
from hub.tables import render

FINAL = {"succeeded", "failed", "expired", "stopped"}
INVOCATION_COLUMNS = ["id", "function", "status", "attempts", "created_at", "last_error"]
TRIGGER_COLUMNS = ["name", "type", "state", "events_in", "last_event_at", "lag", "last_error"]
DEFAULT_CONFIG = Path("config/triggers.yaml")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (ApiError, ConnectionError) as exc:
        print(f"triggerhub: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="triggerhub", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _global_options(p, nested=False)
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the daemon")
    run.add_argument(
        "-c",
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"the triggers file (default: {DEFAULT_CONFIG})",
    )
    run.set_defaults(handler=_run)

    validate = sub.add_parser(
        "validate",
        help="check a triggers file and exit",
        description="Check a triggers file as the daemon loads it, python handlers imported; "
        "print every problem found, one FILE:LINE:COL line each, and exit 1 if there is any.",
    )
    validate.add_argument("file", type=Path)
    validate.set_defaults(handler=_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of the triggers file")
    schema.set_defaults(handler=_schema)

    invoke = _api_command(sub, "invoke", "invoke a function asynchronously", _invoke)
    invoke.add_argument("function")
    invoke.add_argument("--data", help="JSON data, or @FILE to read it from a file")
    invoke.add_argument("--delay", type=float, help="seconds to defer the start")
    invoke.add_argument("--idempotency-key")
    invoke.add_argument("--wait", action="store_true", help="wait for a final status")
    invoke.add_argument("--timeout", type=float, default=300.0, help="how long --wait waits")

    inv = sub.add_parser("invocations", help="list, show, stop or redrive invocations")
    inv_sub = inv.add_subparsers(dest="action", required=True)
    ls = _api_command(inv_sub, "list", "list invocations, newest first", _list)
    ls.add_argument("--function")
    ls.add_argument("--status")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--cursor")
    _api_command(inv_sub, "show", "show one invocation", _show).add_argument("id")
    for action, handler in (("stop", _stop), ("redrive", _redrive)):
        help_ = f"{action} one invocation, or every one the filter options select"
        add_bulk_options(_api_command(inv_sub, action, help_, handler))

    trig = sub.add_parser("triggers", help="triggers: their runtime status, pause, resume")
    trig_sub = trig.add_subparsers(dest="action", required=True)
    _api_command(trig_sub, "list", "list triggers with their status", _triggers)
    add_pause_commands(sub, trig_sub, _api_command, _client)

    add_store_commands(sub)
    return p


def _api_command(sub: Any, name: str, help_: str, handler: Any) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser(name, help=help_)
    _global_options(cmd, nested=True)
    cmd.set_defaults(handler=handler)
    return cmd


def _global_options(parser: argparse.ArgumentParser, *, nested: bool) -> None:
    """The API options, accepted before the command (`triggerhub --url X invocations list`)
    and after it. A subcommand's parser writes its defaults over what the top level parsed, so
    there they default to SUPPRESS: absent after the command, the value given before it stays."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if nested else value

    parser.add_argument(
        "--url",
        default=default(None),
        help="daemon API URL (default: $TRIGGERHUB_URL, or the config's)",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=default(None),
        help="the triggers file: API commands read the API address from it"
        + ("" if nested else f"; `run` runs it (default: {DEFAULT_CONFIG})"),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print JSON instead of a table",
    )


def _version() -> str:
    try:
        return metadata.version("triggerhub")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _run(args: argparse.Namespace) -> int:
    from hub.daemon import run

    return run(args.config or DEFAULT_CONFIG)


def _validate(args: argparse.Namespace) -> int:
    from hub.config.loader import load_config
    from hub.errors import ConfigError

    try:
        doc = load_config(args.file, import_handlers=True)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    for notice in doc.notices:
        print(notice, file=sys.stderr)
    print(f"{args.file}: ok ({len(doc.functions)} functions, {len(doc.triggers)} triggers)")
    return 0


def _schema(_args: argparse.Namespace) -> int:
    from hub.config.schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def _client(args: argparse.Namespace) -> Client:
    listen = None
    if args.config is not None:
        from hub.config.loader import load_config

        listen = load_config(args.config).hub.api.listen
    return client_from_env(args.url, listen)


def _invoke(args: argparse.Namespace) -> int:
    client = _client(args)
    headers = {"Content-Type": "application/json"}
    if args.delay is not None:
        headers["X-Triggerhub-Delay"] = str(args.delay)
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    data = args.data or "null"
    body = Path(data[1:]).read_bytes() if data.startswith("@") else data.encode()
    created = client.request("POST", f"/v1/functions/{args.function}/invocations", body, headers)
    result = _wait(client, created["id"], args.timeout) if args.wait else created
    _print(args, result, single=True)
    return 0 if not args.wait or result.get("status") == "succeeded" else 3


def _wait(client: Client, inv_id: str, timeout: float) -> Any:
    deadline, pause = time.monotonic() + timeout, 0.05
    while True:
        inv = client.request("GET", f"/v1/invocations/{inv_id}")
        if inv["status"] in FINAL or time.monotonic() > deadline:
            return inv
        time.sleep(pause)
        pause = min(1.0, pause * 1.5)


def _list(args: argparse.Namespace) -> int:
    params = {k: getattr(args, k) for k in ("function", "status", "limit", "cursor")}
    query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    page = _client(args).request("GET", f"/v1/invocations?{query}")
    if args.json:
        print(json.dumps(page, indent=2))
    else:
        print(render(page["items"], INVOCATION_COLUMNS))
        if page.get("next_cursor"):
            print(f"\nmore: --cursor {page['next_cursor']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    _print(args, _client(args).request("GET", f"/v1/invocations/{args.id}"), single=True)
    return 0


def _stop(args: argparse.Namespace) -> int:
    if is_bulk(args):
        return run_bulk(_client(args), "stop", args)
    _print(args, _client(args).request("POST", f"/v1/invocations/{args.id}/stop"), single=True)
    return 0


def _redrive(args: argparse.Namespace) -> int:
    if is_bulk(args):
        return run_bulk(_client(args), "redrive", args)
    _print(args, _client(args).request("POST", f"/v1/invocations/{args.id}/redrive"), single=True)
    return 0


def _triggers(args: argparse.Namespace) -> int:
    status = _client(args).request("GET", "/v1/triggers")
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


def _print(args: argparse.Namespace, record: Any, *, single: bool) -> None:
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
