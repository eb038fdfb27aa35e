"""`triggerhub`: run the daemon, validate a triggers file, print its schema, and drive a running
daemon through its HTTP API (invoke, invocations, triggers: their handlers are hub.cli_api)."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from hub import cli_api
from hub.cli_control import add_bulk_options, add_pause_commands
from hub.cli_store import add_store_commands
from hub.client import ApiError

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

    invoke = _api_command(sub, "invoke", "invoke a function asynchronously", cli_api.invoke)
    invoke.add_argument("function")
    invoke.add_argument("--data", help="JSON data, or @FILE to read it from a file")
    invoke.add_argument("--delay", type=float, help="seconds to defer the start")
    invoke.add_argument("--idempotency-key")
    invoke.add_argument("--wait", action="store_true", help="wait for a final status")
    invoke.add_argument("--timeout", type=float, default=300.0, help="how long --wait waits")

    inv = sub.add_parser("invocations", help="list, show, stop or redrive invocations")
    inv_sub = inv.add_subparsers(dest="action", required=True)
    ls = _api_command(inv_sub, "list", "list invocations, newest first", cli_api.list_invocations)
    ls.add_argument("--function")
    ls.add_argument("--status")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--cursor")
    _api_command(inv_sub, "show", "show one invocation", cli_api.show).add_argument("id")
    for action, handler in (("stop", cli_api.stop), ("redrive", cli_api.redrive)):
        help_ = f"{action} one invocation, or every one the filter options select"
        add_bulk_options(_api_command(inv_sub, action, help_, handler))

    trig = sub.add_parser("triggers", help="triggers: their runtime status, pause, resume")
    trig_sub = trig.add_subparsers(dest="action", required=True)
    _api_command(trig_sub, "list", "list triggers with their status", cli_api.list_triggers)
    add_pause_commands(sub, trig_sub, _api_command, cli_api.api_client)

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
