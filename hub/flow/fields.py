"""The one rule every flow-control key is read by: `key_concurrency` and `rate_limit` on the
lease side, `debounce`, `batching`, `singleton` and `cancel_on` at intake.

A key is named by a dotted path into the event as CloudEvents JSON: `data.tenant`, `data.a.b`,
`data.items.0` (a list's element), a CloudEvents attribute (`subject`, `type`) or an extension
name. Its value becomes one text: a string as it is, any other value as its JSON with the
object keys sorted, so `1` and `"1"` are one key and `{"a": 1, "b": 2}` is `{"b": 2, "a": 1}`.
A missing field, `null` and `""` are no key. A key longer than MAX_KEY_LENGTH keeps its start
and a digest of the whole, so two long keys never merge.

What an event without a key gets is the setting's (the README's table): a limit or a batch
counts it with the other events without one, so it never slips past a limit; what would fold
it away or end it (debounce, singleton, cancel_on) leaves it alone, so it is never dropped for
a field it lacks."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import orjson
from pydantic import Field

from hub.events import EXTENSION_NAME, Event, WireEvent

# A dotted path as intake settings spelled it, a `data` path or an extension name as the lease
# settings (and filters) spell them: one type accepts all of them.
FIELD_PATTERN = (
    r"^(?:[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*|data(?:\.[^.\s]+)*|"
    f"{EXTENSION_NAME})$"
)
FieldPath = Annotated[
    str,
    Field(
        pattern=FIELD_PATTERN,
        description="A dotted path into the CloudEvent: `data.tenant`, `data.a.b`, `subject`, "
        "an extension name.",
    ),
]
MAX_KEY_LENGTH = 256
_DIGEST_CHARS = 32

MISSING: Any = object()


def attributes(event: Event | WireEvent) -> dict[str, Any]:
    """The event as CloudEvents JSON (extensions at the top), without writing it out."""
    return event.attributes() if isinstance(event, WireEvent) else event.to_dict()


def field_value(event: dict[str, Any], path: str) -> Any:
    """The value at `path`, or MISSING when a step is absent or not a mapping (or a list, for
    a step that is an index into it)."""
    value: Any = event
    for step in path.split("."):
        if isinstance(value, dict):
            value = value.get(step, MISSING)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def key_of(event: dict[str, Any], path: str) -> str | None:
    """The key at `path` of `event` (CloudEvents JSON), None when it has none."""
    return key_text(field_value(event, path))


def key_text(value: Any) -> str | None:
    """One text for a key value (see the module's rule); None for no key."""
    if value is MISSING or value is None or value == "":
        return None
    text = (
        value
        if isinstance(value, str)
        else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    )
    if len(text) <= MAX_KEY_LENGTH:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS]
    return f"{text[: MAX_KEY_LENGTH - _DIGEST_CHARS - 1]}#{digest}"
