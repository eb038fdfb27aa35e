"""An invocation's event as a curl command that submits it again (structured CloudEvent)."""

from __future__ import annotations

import shlex
from typing import Any

import orjson

# Keys that would make the copy a duplicate of the original, refused by the dedup window.
_DROPPED = ("id",)


def curl_command(origin: str, function: str, event: dict[str, Any], token: str | None) -> str:
    body = {k: v for k, v in event.items() if k not in _DROPPED}
    parts = [
        "curl -sS -X POST",
        shlex.quote(f"{origin}/v1/functions/{function}/invocations"),
        "-H 'Content-Type: application/cloudevents+json'",
    ]
    if token is not None:
        # The token itself is never put in the page: the shell fills it in.
        parts.append('-H "Authorization: Bearer $TRIGGERHUB_API_TOKEN"')
    parts.append("--data-binary " + shlex.quote(orjson.dumps(body).decode()))
    return " \\\n  ".join(parts)
