"""Shared by the clouds' routes: waiting for a synchronous call's outcome, and describing a
function's asynchronous settings (destinations) as text."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from hub.api.state import context
from hub.config.destinations import DestinationConfig
from hub.invocation import Invocation
from hub.redact import redact_text
from hub.status import Status


@dataclass(slots=True, frozen=True)
class Outcome:
    invocation: Invocation | None
    """None: not final within the wait."""

    @property
    def succeeded(self) -> bool:
        return self.invocation is not None and self.invocation.status is Status.SUCCEEDED


async def wait_for_outcome(request: web.Request, invocation_id: str, timeout: float) -> Outcome:
    """The invocation once final, waiting at most `timeout` seconds: the hub wakes the wait
    when it commits the outcome (`Hub.wait`), so the answer comes as soon as the result."""
    try:
        return Outcome(await context(request).hub.wait(invocation_id, timeout=timeout))
    except TimeoutError:
        return Outcome(None)


def describe_destination(destination: DestinationConfig | None, function_ref: str) -> str | None:
    """A destination as one string; `function_ref` formats a function name (as an ARN...)."""
    if destination is None:
        return None
    # Destination kinds are plugins: read the model's fields, not a closed set of classes.
    fields = destination.model_dump(mode="json")
    kind = str(fields.get("type", ""))
    if kind == "function":
        return function_ref.format(name=fields["function"])
    if kind == "file":
        return f"file://{fields['path']}"
    if "url" in fields:
        exchange = f"#{fields['exchange']}" if "exchange" in fields else ""
        return redact_text(f"{fields['url']}{exchange}")
    if "bootstrap_servers" in fields:
        return f"kafka://{fields['bootstrap_servers']}/{fields.get('topic', '')}"
    return kind
